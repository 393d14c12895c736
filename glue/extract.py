"""The script AWS Glue runs (a Python shell job); locally: `python glue/extract.py --run-id ... `.

Glue loads this file alone, with the floe_extract package installed from the
job's --additional-python-modules (or --extra-py-files) argument.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from floe_extract.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
