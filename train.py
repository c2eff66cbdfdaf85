"""Entry point: ``python train.py fit --config lightning_configs/<task>/<method>.yaml``.

Subcommands: fit, validate, test, predict (LightningCLI). ``--print_config`` shows the resolved config.
"""

from kd.cli import main

if __name__ == "__main__":
    main()
