"""Experiments: a base rig, a sweep over dotted paths, repeats and measurements, run and reported.

What ``camrig run EXPERIMENT.yaml`` does, as a subpackage of its own: the only part of camrig that uses
matplotlib, pyarrow, tqdm and Dask (each imported when first needed), and loaded only by that command.

* :mod:`camrig.experiments.experiment`: the experiment file, validated, and its runs with their seeds;
* :mod:`camrig.experiments.runner`: each run in a worker process or on a Dask cluster, written as it arrives,
  resumed after an interruption;
* :mod:`camrig.experiments.workers`: workers that die with their parent, Dask scheduler addresses checked
  before anything connects;
* :mod:`camrig.experiments.report`: the table (CSV, Parquet), the plots and an HTML page.

>>> experiment = experiment_from_dict({"experiment": {
...     "name": "f-number sweep",
...     "rig": {"rig": {"lens": {"type": "optics.ideal"}}},
...     "sweep": {"grid": {"rig.lens.f_number": [2, 4]}},
...     "repeats": 2,
... }})
>>> [(run.run_id, run.params) for run in experiment.runs]  # doctest: +NORMALIZE_WHITESPACE
[('run-00000', {'rig.lens.f_number': 2}), ('run-00001', {'rig.lens.f_number': 2}),
 ('run-00002', {'rig.lens.f_number': 4}), ('run-00003', {'rig.lens.f_number': 4})]
>>> experiment.rig_for(experiment.runs[3])["rig"]["lens"]
{'type': 'optics.ideal', 'f_number': 4}
"""

from .experiment import Experiment, Run, experiment_from_dict, load_experiment
from .runner import DaskCluster, Executor, LocalProcesses, run_experiment

__all__ = [
    "Experiment",
    "Run",
    "experiment_from_dict",
    "load_experiment",
    "DaskCluster",
    "Executor",
    "LocalProcesses",
    "run_experiment",
]
