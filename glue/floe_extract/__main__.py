import sys

from .unused_modules import refuse_unused_modules

refuse_unused_modules()  # before .main imports pyarrow, as glue/extract.py does

from .main import main  # noqa: E402

sys.exit(main())
