"""`python -m viz`: write the gallery (see viz/gallery.py)."""

import sys

from .gallery import main

sys.exit(main())
