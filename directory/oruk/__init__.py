"""Open Referral UK 3.0: the read-only API at /openreferral/ and the `import_oruk` feed importer.

`mapping` turns listings, providers and vocabulary terms into ORUK dicts and back; `views`
serves them; `importer` writes feeds into the directory. See docs/openreferral.md.
"""
