"""`python -m checker` runs the same CLI as the `dxguard` command."""

from checker.cli import main

if __name__ == "__main__":
    main()
