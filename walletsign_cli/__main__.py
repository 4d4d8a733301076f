"""``python -m walletsign_cli``."""

from walletsign_cli.cli.root import run

if __name__ == "__main__":
    run()
