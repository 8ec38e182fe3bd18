"""submission-kit: CDISC ADaM data to ICH E3 tables, figures and regulatory documents."""

__version__ = "0.1.0"
