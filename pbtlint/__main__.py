from pbtlint.cli import main

main()
