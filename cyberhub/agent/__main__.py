from cyberhub.agent.cli import main

main()
