from incubator.cli import main

main()
