import sys

from postrender.cli import main

sys.exit(main())
