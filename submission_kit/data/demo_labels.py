"""Dataset and variable labels of the demo study's ADaM datasets.

`_COLUMNS` also fixes each dataset's variables and their order: `simulate_study` selects them.
"""

DATASET_LABELS: dict[str, str] = {
    "adsl": "Subject-Level Analysis Dataset",
    "adtte": "Time-to-Event Analysis Dataset",
    "adqs": "ALSFRS-R Analysis Dataset",
    "adae": "Adverse Events Analysis Dataset",
    "adlb": "Laboratory Analysis Dataset",
    "adex": "Exposure Analysis Dataset",
}

# One label per variable name, as ADaM uses the same label wherever a variable recurs.
_LABELS = {
    "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
    "COUNTRY": "Country", "AGE": "Age", "AGEU": "Age Units", "AGEGR1": "Pooled Age Group 1",
    "AGEGR1N": "Pooled Age Group 1 (N)", "SEX": "Sex", "RACE": "Race", "ETHNIC": "Ethnicity",
    "ARM": "Description of Planned Arm", "TRT01P": "Planned Treatment for Period 01",
    "TRT01PN": "Planned Treatment for Period 01 (N)", "TRT01A": "Actual Treatment for Period 01",
    "TRT01AN": "Actual Treatment for Period 01 (N)", "RANDDT": "Date of Randomization",
    "TRTSDT": "Date of First Exposure to Treatment", "TRTEDT": "Date of Last Exposure to Treatment",
    "ITTFL": "Intent-To-Treat Population Flag", "SAFFL": "Safety Population Flag",
    "EFFFL": "Efficacy Population Flag", "ONSET": "Site of Onset (Stratum)",
    "DIAGCAT": "El Escorial Diagnostic Category", "DURDIS": "Duration of Disease (Months)",
    "ALSFRSBL": "Baseline ALSFRS-R Total Score", "SVCBL": "Baseline Slow Vital Capacity (% Pred)",
    "RILUFL": "Riluzole Treatment Flag", "PNFHBL": "Baseline CSF pNFH (pg/mL)",
    "PNFHGR1": "Baseline CSF pNFH Group 1", "PNFHGR1N": "Baseline CSF pNFH Group 1 (N)",
    "EOSSTT": "End of Study Status", "DCSREAS": "Reason for Discontinuation from Study",
    "DTHFL": "Subject Death Flag", "DTHDT": "Date of Death", "LSTALVDT": "Date Last Known Alive",
    "PARAMCD": "Parameter Code", "PARAM": "Parameter", "PARCAT1": "Parameter Category 1",
    "AVAL": "Analysis Value", "CNSR": "Censor", "STARTDT": "Time-to-Event Origin Date",
    "ADT": "Analysis Date", "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description", "TRTP": "Planned Treatment",
    "TRTPN": "Planned Treatment (N)", "TRTA": "Actual Treatment", "TRTAN": "Actual Treatment (N)",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)", "ADY": "Analysis Relative Day", "BASE": "Baseline Value",
    "CHG": "Change from Baseline", "ABLFL": "Baseline Record Flag",
    "ANRLO": "Analysis Normal Range Lower Limit", "ANRHI": "Analysis Normal Range Upper Limit",
    "ANRIND": "Analysis Reference Range Indicator", "AESEQ": "Sequence Number",
    "AETERM": "Reported Term for the Adverse Event", "AEDECOD": "Dictionary-Derived Term",
    "AEBODSYS": "Body System or Organ Class", "AESEV": "Severity/Intensity",
    "AESER": "Serious Event", "AEREL": "Causality", "AEOUT": "Outcome of Adverse Event",
    "ASTDT": "Analysis Start Date", "AENDT": "Analysis End Date",
    "ASTDY": "Analysis Start Relative Day",
    "TRTEMFL": "Treatment Emergent Analysis Flag",
}  # fmt: skip

# Variables of each dataset, in order.
_COLUMNS = {
    "adsl": """STUDYID USUBJID SUBJID SITEID COUNTRY AGE AGEU AGEGR1 AGEGR1N SEX RACE ETHNIC ARM
        TRT01P TRT01PN TRT01A TRT01AN RANDDT TRTSDT TRTEDT ITTFL SAFFL EFFFL ONSET DIAGCAT DURDIS
        ALSFRSBL SVCBL RILUFL PNFHBL PNFHGR1 PNFHGR1N EOSSTT DCSREAS DTHFL DTHDT LSTALVDT""",
    "adtte": """STUDYID USUBJID PARAMCD PARAM AVAL CNSR STARTDT ADT EVNTDESC CNSDTDSC TRTP TRTPN
        ITTFL COUNTRY ONSET PNFHGR1 AGE""",
    "adqs": """STUDYID USUBJID PARAMCD PARAM AVISIT AVISITN ADT ADY AVAL BASE CHG ABLFL TRTP TRTPN
        ITTFL PNFHGR1""",
    "adae": """STUDYID USUBJID AESEQ AETERM AEDECOD AEBODSYS AESEV AESER AEREL AEOUT ASTDT AENDT
        ASTDY TRTEMFL TRTA TRTAN SAFFL""",
    "adlb": """STUDYID USUBJID PARAMCD PARAM PARCAT1 AVISIT AVISITN ADT AVAL BASE CHG ANRLO ANRHI
        ANRIND ABLFL TRTP TRTPN SAFFL""",
    "adex": "STUDYID USUBJID PARAMCD PARAM AVAL TRTP TRTPN SAFFL",
}

VARIABLE_LABELS: dict[str, dict[str, str]] = {
    name: {var: _LABELS[var] for var in columns.split()} for name, columns in _COLUMNS.items()
}
