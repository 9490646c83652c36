#!/usr/bin/env python
"""Django's manage.py; `arrears` (arrears/cli.py) is the same entry point with a shorter name."""

from arrears.cli import main

if __name__ == "__main__":
    main()
