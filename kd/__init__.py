"""metacompress: distillation and compression of code models (package ``kd``).

Importing the package sets ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already sets it, so it must be
imported before ``torch`` for the setting to apply (the ``kd`` CLI and ``python -m kd.…`` entry points are). With
the OpenMP runtime's default policy, idle worker threads spin for a while after every parallel region; on a
machine whose cores other processes also use, the spinning threads compete with the one that still has work, and
a training step of the bench student took about twice as long with 2 threads as with 1 under load, while with
``PASSIVE`` 2 threads were no slower than 1 (``bench/results/distill_profile.md``, "Threads"). The policy
changes when idle threads sleep, not what they compute: results are unchanged.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
