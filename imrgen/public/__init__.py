"""Public versions: nothing personal in any file. redaction (the policy, names and identifier
patterns, the redactor over the case), leaks (the check that reads finished files and trusts no
writer), versions (the one pipeline: redact -> render -> leak-check -> all or nothing), policies
(the shipped policy files). redaction and leaks never use the writers; versions does."""
