from cyberhub.cli import main

main()
