from pbtlint.cli import run

run()
