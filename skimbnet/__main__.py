"""``python -m skimbnet``: the same as the ``skimbnet`` command."""

import sys

from .cli import main

sys.exit(main())
