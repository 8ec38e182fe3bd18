import sys

from submission_kit.cli import main

sys.exit(main())
