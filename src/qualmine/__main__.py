"""`python -m qualmine`."""

from qualmine.cli import main

main()
