"""CompressorKD: searched student, BPE on the distill split, MLflow search artifacts, loss, exact resume."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import mlflow
import pytest
import torch
import torch.nn.functional as F

from kd.cli import KDCLI, find_last_checkpoint
from kd.data.datamodules import CloneDetectionDataModule
from kd.data.demo import ensure_demo_data
from kd.methods.compressor import CompressorKD, CompressorSearch, compressor_loss
from kd.models.io import import_compressor, load_model_dir, save_model_dir
from kd.models.ref import FreshModel, ModelRef
from kd.search.space import COMPRESSOR_SPACE
from kd.spec import StudentSpec
from kd.tokenization import train_tokenizer
from tests.conftest import COMPRESSOR_3MB, needs_shared
from tests.kd.helpers import TINY_SPEC, tiny_fit_args, tiny_model

# A budget that picks a one-layer student in milliseconds.
SEARCH = {"population": 16, "generations": 10, "seed": 2}
TARGET_MB = 0.05
# What that search returns, recorded from the code before the search engine refactor (tests/kd/test_search.py
# PINNED, case 0.05 MB seed 2): an expectation independent of the module under test.
SEARCHED = StudentSpec(
    vocab_size=1000, num_hidden_layers=1, hidden_size=16, num_attention_heads=8, intermediate_size=128
)


@dataclass
class Fit:
    root: Path
    data_dir: Path
    first: CompressorKD
    resumed: CompressorKD
    run_id: str
    resumed_run_id: str
    resumed_step: int


def _args(root: Path, data_dir: Path, teacher: Path, steps: int) -> list[str]:
    model_args = ["--model.target_mb", str(TARGET_MB), "--model.search", json.dumps(SEARCH)]
    model_args += ["--model.lr", "1e-3", "--model.export_dir", str(root / "export")]
    return tiny_fit_args(
        root,
        data_dir,
        teacher,
        steps,
        method="kd.methods.compressor.CompressorKD",
        model_args=model_args,
        val_check_interval=2,
        experiment="compressor",
        extra=["--test_after_fit", "false"],
    )


@pytest.fixture(scope="module")
def fit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fit]:
    """One tiny fit of 4 steps, then a resumed fit (``--ckpt_path last``) to 6 steps, shared by the tests."""
    root = tmp_path_factory.mktemp("compressor")
    data_dir = ensure_demo_data(root / "demo") / "bigclonebench"
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, root / "teacher")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METACOMPRESS_CACHE", str(root / "cache"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        first = KDCLI(args=_args(root, data_dir, teacher, 4))
        resumed = KDCLI(args=[*_args(root, data_dir, teacher, 6), "--ckpt_path", "last"])
        yield Fit(
            root,
            data_dir,
            first.model,
            resumed.model,
            cast(Any, first.trainer.logger).run_id,
            cast(Any, resumed.trainer.logger).run_id,
            resumed.trainer.global_step,
        )


@pytest.mark.slow  # shares one tiny fit + resume (~1 min on a loaded 2-core machine)
def test_student_is_the_searched_spec_with_its_trained_vocabulary(fit: Fit) -> None:
    module = fit.first
    assert module.search_result is not None and module.search_result.spec == SEARCHED
    assert module.tokenizer is not None and module.model is not None
    vocab = module.tokenizer.get_vocab_size()
    assert vocab <= SEARCHED.vocab_size
    # The built encoder is the searched architecture; only the vocabulary shrinks to what BPE learned, and
    # the dropout is Compressor's clone value.
    built = StudentSpec.from_roberta_config(module.model.encoder.config)
    assert built == SEARCHED.replace(vocab_size=vocab, hidden_dropout_prob=0.2)
    assert module.student_spec == built


@pytest.mark.slow  # shares one tiny fit + resume (~1 min on a loaded 2-core machine)
def test_bpe_is_trained_on_the_distill_split(fit: Fit) -> None:
    dm = CloneDetectionDataModule(str(fit.data_dir), max_train_examples=48, max_length=64)
    distill, train = dm.split("distill"), dm.split("train")
    assert distill.fingerprint() != train.fingerprint()
    size = SEARCHED.vocab_size
    own = train_tokenizer([distill.functions[f] for f in distill.function_ids()], size)
    assert fit.first.tokenizer is not None
    assert fit.first.tokenizer.get_vocab() == own.get_vocab()
    # The exported student carries that tokenizer.
    exported = load_model_dir(fit.root / "export")
    assert exported.tokenizer.get_vocab() == own.get_vocab()


@pytest.mark.slow  # shares one tiny fit + resume (~1 min on a loaded 2-core machine)
def test_search_tags_params_and_artifacts_in_mlflow(fit: Fit) -> None:
    client = mlflow.MlflowClient(f"sqlite:///{fit.root}/mlflow.db")
    run = client.get_run(fit.run_id)
    spec = fit.first.student_spec
    assert spec is not None
    tags, params = run.data.tags, run.data.params
    assert tags["kd.method"] == "compressor" and tags["kd.task"] == "clone"
    assert tags["kd.student_spec"] == spec.name and float(tags["kd.target_mb"]) == TARGET_MB
    assert params["student_spec.num_hidden_layers"] == str(spec.num_hidden_layers)
    assert params["student_spec.vocab_size"] == str(spec.vocab_size)
    names = {Path(a.path).name for a in client.list_artifacts(fit.run_id, "search")}
    assert {"search_trace.csv", "search_trace.png", "student_spec.json", "tokenizer.json"} <= names
    local = Path(client.download_artifacts(fit.run_id, "search", str(fit.root / "dl")))
    rows = (local / "search_trace.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + SEARCH["generations"] and rows[0].startswith("generation,best_fitness")
    summary = json.loads((local / "student_spec.json").read_text())
    assert summary["student_spec_name"] == spec.name and summary["search"]["seed"] == SEARCH["seed"]
    assert (local / "search_trace.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow  # shares one tiny fit + resume (~1 min on a loaded 2-core machine)
def test_resume_rebuilds_the_same_architecture_and_continues_the_run(fit: Fit) -> None:
    assert fit.resumed.search_result is not None  # searched again in the new process…
    assert fit.resumed.student_spec == fit.first.student_spec  # …to the same student,
    assert fit.resumed_step == 6 and fit.resumed_run_id == fit.run_id  # whose checkpoint then loaded.
    last = find_last_checkpoint(fit.root / "runs")
    assert last is not None
    ckpt = torch.load(last, map_location="cpu", weights_only=True)
    assert ckpt["compressor_student_spec"] == fit.first.student_spec.to_dict()  # type: ignore[union-attr]


def test_saved_search_result_is_trained_without_searching(tmp_path: Path) -> None:
    search = CompressorSearch(population=16, generations=10, seed=2)
    stage = CompressorKD(ModelRef("t"), target_mb=TARGET_MB, search=search)
    path = stage.search_stage(output=str(tmp_path / "s"))
    assert json.loads(path.read_text())["chosen"]["spec_name"] == SEARCHED.name
    assert (tmp_path / "s" / "pareto_front.csv").read_text().count("\n") == 2  # header + the one optimum
    reused = CompressorKD(ModelRef("t"), target_mb=TARGET_MB, search_result=str(tmp_path / "s"))
    ref = cast(FreshModel, reused.resolved_student())
    assert reused.search_result is None  # no search ran
    assert ref.spec == SEARCHED.replace(hidden_dropout_prob=0.2)
    with pytest.raises(FileNotFoundError, match="search stage"):
        CompressorKD(ModelRef("t"), search_result=str(tmp_path / "none"))


def test_checkpoint_of_another_architecture_is_refused() -> None:
    module = CompressorKD(ModelRef("unused"), student=FreshModel(TINY_SPEC))
    module.student_spec = TINY_SPEC
    other = TINY_SPEC.replace(num_hidden_layers=2)
    module.on_load_checkpoint({"compressor_student_spec": TINY_SPEC.to_dict()})  # same: accepted
    with pytest.raises(ValueError, match="L2-H16"):
        module.on_load_checkpoint({"compressor_student_spec": other.to_dict()})


def test_per_task_defaults_and_overrides() -> None:
    clone = CompressorKD(ModelRef("t"), task="clone")
    vuln = CompressorKD(ModelRef("t"), task="vulnerability")
    assert (clone.temperature, clone.hidden_dropout_prob) == (1.0, 0.2)
    assert (vuln.temperature, vuln.hidden_dropout_prob) == (10.0, 0.5)
    custom = CompressorKD(ModelRef("t"), task="vulnerability", temperature=3.0, hidden_dropout_prob=0.3)
    assert (custom.temperature, custom.hidden_dropout_prob) == (3.0, 0.3)
    assert clone.search == CompressorSearch(population=50, generations=100, seed=0)
    assert clone.hparams["temperature"] is None  # the config keeps "task default", not the resolved value
    # A given FreshModel keeps its own dropout unless one is set explicitly.
    kept = CompressorKD(ModelRef("t"), student=FreshModel(TINY_SPEC)).resolved_student()
    assert isinstance(kept, FreshModel) and kept.spec == TINY_SPEC
    explicit = CompressorKD(ModelRef("t"), student=FreshModel(TINY_SPEC), hidden_dropout_prob=0.4)
    resolved = explicit.resolved_student()
    assert isinstance(resolved, FreshModel) and resolved.spec.hidden_dropout_prob == 0.4


def test_attention_dropout_reaches_searched_and_given_students() -> None:
    search = CompressorSearch(population=16, generations=10, seed=2, bounds={"num_hidden_layers": [1, 2]})
    searched = CompressorKD(ModelRef("t"), target_mb=0.5, search=search, attention_probs_dropout_prob=0.0)
    spec = cast(FreshModel, searched.resolved_student()).spec
    assert spec.attention_probs_dropout_prob == 0.0 and spec.num_hidden_layers <= 2
    given = CompressorKD(ModelRef("t"), student=FreshModel(TINY_SPEC), attention_probs_dropout_prob=0.0)
    resolved = cast(FreshModel, given.resolved_student()).spec
    assert resolved.attention_probs_dropout_prob == 0.0
    assert resolved.hidden_dropout_prob == TINY_SPEC.hidden_dropout_prob  # hidden dropout only when explicit


def test_head_options_reach_the_searched_student_and_a_given_one_keeps_its_own() -> None:
    search = CompressorSearch(population=16, generations=10, seed=2, bounds={"num_hidden_layers": [1, 2]})
    searched = CompressorKD(
        ModelRef("t"), target_mb=0.5, search=search, pooling="mean", pair_features="siamese"
    )
    ref = cast(FreshModel, searched.resolved_student())
    assert (ref.pooling, ref.pair_features) == ("mean", "siamese")
    own = FreshModel(TINY_SPEC, pooling="mean", pair_features="siamese")
    given = CompressorKD(ModelRef("t"), student=own, hidden_dropout_prob=0.3).resolved_student()
    assert isinstance(given, FreshModel) and (given.pooling, given.pair_features) == ("mean", "siamese")
    assert given.spec.hidden_dropout_prob == 0.3
    default = cast(FreshModel, CompressorKD(ModelRef("t"), target_mb=0.5, search=search).resolved_student())
    assert (default.pooling, default.pair_features) == ("cls", "concat")  # the paper's head


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"target_mb": 0}, "target_mb"),
        ({"temperature": -1.0}, "temperature"),
        ({"alpha": -0.5}, "alpha"),
        ({"hidden_dropout_prob": 1.0}, "dropout"),
        ({"task": "summarise"}, "summarise"),
        ({"search": CompressorSearch(population=1)}, "population"),
        ({"search": CompressorSearch(bounds={"layers": [1, 3]})}, "no gene 'layers'"),
        ({"attention_probs_dropout_prob": -0.1}, "attention_probs_dropout_prob"),
        ({"search": CompressorSearch(restarts=0)}, "restarts"),
        ({"pooling": "max"}, "pooling"),
        ({"pair_features": "diff"}, "pair_features"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        CompressorKD(ModelRef("t"), **kwargs)


@pytest.mark.parametrize(("temperature", "alpha"), [(1.0, 0.0), (10.0, 0.0), (2.0, 0.5)])
def test_loss_matches_the_reference_formula(temperature: float, alpha: float) -> None:
    torch.manual_seed(0)
    s, t = torch.randn(6, 2) * 3, torch.randn(6, 2) * 3
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    p_t = (t / temperature).softmax(-1)
    log_p_s = (s / temperature).log_softmax(-1)
    kl = (p_t * (p_t.log() - log_p_s)).sum(-1).mean()  # KL(teacher ‖ student), averaged over the batch
    ce = -s.log_softmax(-1)[torch.arange(6), y].mean()
    expected = temperature**2 * kl + alpha * ce
    module = CompressorKD(ModelRef("t"), temperature=temperature, alpha=alpha)
    assert torch.allclose(module.distill_loss(s, t, y), expected, atol=1e-6)
    assert torch.allclose(compressor_loss(s, t, y, temperature, alpha), expected, atol=1e-6)
    assert compressor_loss(t, t, y, temperature) == pytest.approx(0.0, abs=1e-6)
    assert torch.allclose(F.cross_entropy(s, y), ce)


def test_loss_on_hand_worked_logits() -> None:
    # Teacher logits (ln 3, 0) give p_t = (3/4, 1/4); student logits (0, 0) give p_s = (1/2, 1/2).
    teacher, student, y = torch.tensor([[math.log(3.0), 0.0]]), torch.zeros(1, 2), torch.tensor([0])
    # T = 1, alpha = 0: KL(p_t ‖ p_s) = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.130812…
    assert compressor_loss(student, teacher, y, 1.0, 0.0).item() == pytest.approx(0.1308120359, abs=1e-6)
    # T = 2: p_t = (√3, 1) / (1 + √3) = (0.633975, 0.366025), p_s still uniform, KL = 0.0363408; times
    # T² = 4, plus alpha = 0.5 times the cross-entropy of the student on y = 0, ln 2: 0.4919367.
    module = CompressorKD(ModelRef("t"), temperature=2.0, alpha=0.5)
    assert module.distill_loss(student, teacher, y).item() == pytest.approx(0.4919367218, abs=1e-6)
    # A batch is averaged: the same row twice costs the same.
    double = compressor_loss(student.repeat(2, 1), teacher.repeat(2, 1), y.repeat(2), 2.0, 0.5)
    assert double.item() == pytest.approx(0.4919367218, abs=1e-6)


@needs_shared
@pytest.mark.parametrize("task", ["clone", "vulnerability"])
def test_published_3mb_students_are_in_the_compressor_space(task: str) -> None:
    loaded = import_compressor(COMPRESSOR_3MB / task)
    spec = StudentSpec.from_roberta_config(loaded.model.encoder.config)
    assert spec.name == "L12-H96-A8-I64-V1000"
    assert loaded.tokenizer.get_vocab_size() == spec.vocab_size
    genome = COMPRESSOR_SPACE.encode(spec)  # raises if any gene value were outside the space
    assert COMPRESSOR_SPACE.decode(genome).name == spec.name
