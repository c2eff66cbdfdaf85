"""PKD / CKD / DIST Lightning methods: tiny CPU fits, the projection is trained, resume, tokenization checks."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import mlflow
import pytest
import torch
import torch.nn.functional as F

from kd.cli import KDCLI
from kd.data.datamodules import CloneDetectionDataModule
from kd.data.demo import ensure_demo_data
from kd.methods.feature import ContextualKD, DistKD, PatientKD
from kd.models.io import from_config, load_model_dir, save_model_dir
from kd.models.ref import FreshModel, ModelRef
from kd.spec import StudentSpec
from kd.tokenization import train_tokenizer
from tests.kd.helpers import SNIPPETS, TINY_SPEC, tiny_fit_args, tiny_tokenizer

STUDENT = StudentSpec(
    vocab_size=300, num_hidden_layers=2, hidden_size=8, num_attention_heads=2, intermediate_size=16
)


pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo_data(tmp_path_factory.mktemp("demo")) / "bigclonebench"


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-layer × 16 pair classifier: deeper and wider than the 2-layer × 8 student."""
    torch.manual_seed(0)
    tok = tiny_tokenizer()
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size(), num_hidden_layers=4)
    model = from_config(spec.to_roberta_config(), 2, tok)
    return save_model_dir(model, tok, tmp_path_factory.mktemp("teacher") / "t")


def _fit(module: L.LightningModule, data_dir: Path, root: Path, steps: int = 3) -> L.Trainer:
    torch.manual_seed(0)
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=steps,
        limit_val_batches=1,
        num_sanity_val_steps=0,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=root,
    )
    dm = CloneDetectionDataModule(
        str(data_dir), batch_size=8, max_train_examples=32, max_eval_examples=8, max_length=48
    )
    trainer.fit(module, datamodule=dm)
    return trainer


def _methods(teacher: Path, tokenizer: str | None = None) -> dict[str, L.LightningModule]:
    student = FreshModel(STUDENT, tokenizer or str(teacher))
    ref = ModelRef(str(teacher))
    return {
        "pkd": PatientKD(ref, student, lr=1e-2, beta=1.0),
        "ckd": ContextualKD(ref, student, lr=1e-2, window=3),
        "dist": DistKD(ref, student, lr=1e-2, temperature=2.0),
    }


@pytest.mark.parametrize("name", ["pkd", "ckd", "dist"])
def test_tiny_fit_trains_the_student_and_tags_the_method(
    name: str, data_dir: Path, teacher_dir: Path, tmp_path: Path
) -> None:
    module = _methods(teacher_dir)[name]
    module.configure_model()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    trainer = _fit(module, data_dir, tmp_path)
    assert trainer.global_step == 3
    loss = trainer.callback_metrics["train/loss"]
    assert torch.isfinite(loss) and loss > 0
    changed = [k for k, v in module.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith("model.encoder.") for k in changed)
    if name == "pkd":
        # the projection (student width 8 → teacher width 16, one per matched layer) is optimised too
        assert module.layer_map == [(1, 2)]
        assert {k for k in before if k.startswith("projection.")} <= set(changed)
        assert module.projection is not None and module.projection[0].weight.shape == (16, 8)
    if name != "dist":
        assert "train/feature_loss" in trainer.callback_metrics
        assert module.teacher_forward_passes > 0  # live teacher on every batch
    assert module.mlflow_tags()["kd.method"] == name


def test_gradients_reach_the_projection_and_the_student(teacher_dir: Path) -> None:
    module = _methods(teacher_dir)["pkd"]
    module.configure_model()
    ids = torch.randint(3, 200, (4, 10))
    mask = torch.ones_like(ids)
    _, s_hidden = module.built_model().forward_with_hidden(ids, mask)
    with torch.no_grad():
        _, t_hidden = module.teacher()[0].forward_with_hidden(ids, mask)
    module.feature_loss(s_hidden, mask, t_hidden, mask).backward()
    assert module.projection is not None
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.projection.parameters())
    names = [n for n, _ in module.extra_named_parameters()]
    assert names == ["projection.0.weight", "projection.0.bias"]
    emb = module.built_model().encoder.embeddings.word_embeddings.weight
    assert emb.grad is not None and emb.grad.abs().sum() > 0
    # the teacher stays frozen and out of the module's parameters
    assert all(p.grad is None and not p.requires_grad for p in module.teacher()[0].parameters())


def test_hidden_states_forward_gives_the_same_logits(teacher_dir: Path) -> None:
    model = load_model_dir(teacher_dir).model.eval()
    ids = torch.randint(3, 200, (4, 12))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    logits, hidden = model.forward_with_hidden(ids, mask)
    assert torch.allclose(logits, model(ids, mask), atol=1e-6)
    assert len(hidden) == 5 and hidden[0].shape == (4, 12, 16)  # embeddings + 4 layers


def test_dist_hard_term_targets_teacher_predictions_or_labels(teacher_dir: Path) -> None:
    s, t = torch.randn(6, 2), torch.randn(6, 2)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    ref = ModelRef(str(teacher_dir))
    no_corr = {"beta": 0.0, "gamma": 0.0}
    teacher_only = DistKD(ref, FreshModel(STUDENT), alpha=0.0, **no_corr)
    labels_only = DistKD(ref, FreshModel(STUDENT), alpha=1.0, **no_corr)
    assert teacher_only.distill_loss(s, t, y).item() == pytest.approx(F.cross_entropy(s, t.argmax(-1)).item())
    assert labels_only.distill_loss(s, t, y).item() == pytest.approx(F.cross_entropy(s, y).item())


def test_other_tokenizer_is_reencoded_for_pkd_and_refused_by_ckd(
    data_dir: Path, teacher_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    train_tokenizer([s.upper() for s in SNIPPETS], 280).save(str(other))
    methods = _methods(teacher_dir, str(other))
    pkd = methods["pkd"]
    _fit(pkd, data_dir, tmp_path / "pkd", steps=2)
    assert pkd._teacher_encoder is not None  # the teacher saw its own tokenization
    with pytest.raises(ValueError, match="same tokenization"):
        _fit(methods["ckd"], data_dir, tmp_path / "ckd", steps=1)


def test_bad_options_are_named(teacher_dir: Path) -> None:
    ref, student = ModelRef(str(teacher_dir)), FreshModel(STUDENT)
    with pytest.raises(ValueError, match="strategy"):
        PatientKD(ref, student, strategy="first")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window"):
        ContextualKD(ref, student, window=4)
    with pytest.raises(ValueError, match="beta"):
        DistKD(ref, student, beta=-1.0)
    one_layer = PatientKD(ref, FreshModel(STUDENT.replace(num_hidden_layers=1), str(teacher_dir)))
    with pytest.raises(ValueError, match=">= 2 layers"):
        one_layer.configure_model()


def test_cli_fit_logs_the_method_and_resumes_with_the_projection(
    data_dir: Path, teacher_dir: Path, tmp_path: Path
) -> None:
    student = (
        '{"spec": {"vocab_size": 300, "num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 2, '
        f'"intermediate_size": 16}}, "tokenizer": "{teacher_dir}"}}'
    )
    args = ["--model.student", student, "--model.init_args.beta", "2.0"]
    method = "kd.methods.feature.PatientKD"
    first = KDCLI(args=tiny_fit_args(tmp_path, data_dir, teacher_dir, 2, method=method, model_args=args))
    resumed = KDCLI(
        args=[
            *tiny_fit_args(tmp_path, data_dir, teacher_dir, 4, method=method, model_args=args),
            "--ckpt_path",
            "last",
        ]
    )
    assert resumed.trainer.global_step == 4
    assert resumed.trainer.logger.run_id == first.trainer.logger.run_id  # type: ignore[union-attr]
    run = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").get_run(first.trainer.logger.run_id)  # type: ignore[union-attr]
    assert run.data.tags["kd.method"] == "pkd" and run.data.params["beta"] == "2.0"
    ckpt = torch.load(next((tmp_path / "runs").rglob("last.ckpt")), map_location="cpu", weights_only=True)
    assert {"projection.0.weight", "projection.0.bias"} <= set(ckpt["state_dict"])
