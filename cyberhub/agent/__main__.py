from cyberhub.agent.cli import main

main(prog_name="cyberhub-agent")
