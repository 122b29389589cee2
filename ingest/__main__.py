import sys

from ingest.cli import main

# Guarded: the importer's worker processes import this module and must not run the command again.
if __name__ == "__main__":
    sys.exit(main())
