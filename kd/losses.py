"""Knowledge-distillation losses as small pure functions (formula and paper in each docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def kd_kl_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Hinton et al. 2015 / Compressor (Shi et al., ASE 2022):

    ``T² · KL(softmax(t/T) ‖ softmax(s/T))`` averaged over the batch (``batchmean``). The T² factor
    keeps gradient magnitudes comparable across temperatures.
    """
    if temperature <= 0:
        raise ValueError(f"Expected `temperature` > 0, got {temperature}")
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)
    p_t = F.softmax(teacher_logits / temperature, dim=-1)
    return F.kl_div(log_p_s, p_t, reduction="batchmean") * temperature**2


def hinton_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float = 2.0,
    alpha: float = 0.0,
) -> torch.Tensor:
    """Hinton KD with an optional hard-label term: ``(1 − α)·T²·KL + α·CE(s, y)``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Expected `alpha` in [0, 1], got {alpha}")
    loss = kd_kl_loss(student_logits, teacher_logits, temperature)
    if alpha > 0:
        if labels is None:
            raise ValueError("alpha > 0 needs hard labels")
        loss = (1 - alpha) * loss + alpha * F.cross_entropy(student_logits, labels)
    return loss


# -- feature-based and correlation losses (PKD, CKD, DIST) -------------------------------------------


def uniform_layer_map(n_student: int, n_teacher: int) -> list[tuple[int, int]]:
    """Student layer ``j`` ↔ teacher layer ``round(j·N/M)`` for ``j = 1..M`` (1-based ``hidden_states``
    indices; the last layers always pair). CKD's mapping; ``M = 4, N = 12`` → (1, 3), (2, 6), (3, 9), (4, 12)."""
    if n_student < 1 or n_teacher < n_student:
        raise ValueError(f"Expected 1 <= student layers <= teacher layers, got {n_student} and {n_teacher}")
    return [(j, round(j * n_teacher / n_student)) for j in range(1, n_student + 1)]


def pkd_layer_map(n_student: int, n_teacher: int, strategy: str = "skip") -> list[tuple[int, int]]:
    """PKD's (Sun et al., EMNLP 2019) pairs of (student layer, teacher layer), 1-based.

    The student's M − 1 intermediate layers are matched; its last layer is left to the logit KD term.
    ``skip`` (PKD-Skip): student layer j ↔ teacher layer ``j·N // M`` (every N/M-th layer);
    ``last`` (PKD-Last): student layer j ↔ teacher layer ``N − M + j`` (the teacher's last layers).
    The paper's 6-from-12 example: skip → teacher layers 2, 4, 6, 8, 10; last → 7, 8, 9, 10, 11.
    """
    if strategy not in ("skip", "last"):
        raise ValueError(f"Expected PKD `strategy` in ('skip', 'last'), got {strategy!r}")
    if n_student < 2:
        raise ValueError(
            f"PKD matches the student's intermediate layers: it needs >= 2 layers, got {n_student}"
        )
    if n_teacher < n_student:
        raise ValueError(
            f"PKD needs a teacher at least as deep as the student, got {n_teacher} < {n_student}"
        )
    if strategy == "skip":
        return [(j, j * n_teacher // n_student) for j in range(1, n_student)]
    return [(j, n_teacher - n_student + j) for j in range(1, n_student)]


def pkd_loss(student_vectors: list[torch.Tensor], teacher_vectors: list[torch.Tensor]) -> torch.Tensor:
    """Patient KD's patient-teacher loss (Sun, Cheng, Gan, Liu — EMNLP 2019, "Patient Knowledge Distillation
    for BERT Model Compression"):

    ``L_PT = mean over mapped layers j and rows i of ‖ s_ij/‖s_ij‖₂ − t_ij/‖t_ij‖₂ ‖²₂``

    on the ``<s>``/[CLS] (or pooled) vectors of mapped layers, each (N, h). Student vectors must already be
    projected to the teacher's width when the hidden sizes differ. Each term lies in [0, 4] (0 = same
    direction); the paper sums over layers, the mean here keeps β independent of the student's depth.
    """
    if len(student_vectors) != len(teacher_vectors) or not student_vectors:
        raise ValueError(
            f"Expected the same, non-zero number of student and teacher layers, got "
            f"{len(student_vectors)} and {len(teacher_vectors)}"
        )
    terms = []
    for s, t in zip(student_vectors, teacher_vectors, strict=True):
        if s.shape != t.shape:
            raise ValueError(f"student vectors {tuple(s.shape)} and teacher vectors {tuple(t.shape)} differ")
        diff = F.normalize(s, dim=-1) - F.normalize(t, dim=-1)
        terms.append(diff.pow(2).sum(-1).mean())
    return torch.stack(terms).mean()


def _relation_mismatch(s: torch.Tensor, t: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean Huber (smooth-L1, δ = 1) difference of two relation tensors over the ``valid`` entries."""
    valid = valid.to(s.dtype)
    n = valid.sum()
    if n == 0:
        return s.sum() * 0.0
    return (F.smooth_l1_loss(s, t, reduction="none") * valid).sum() / n


def cosine_relations(x: torch.Tensor) -> torch.Tensor:
    """Pair-wise relations: (…, K, h) → (…, K, K), the cosine similarity of every two rows."""
    u = F.normalize(x, dim=-1)
    return u @ u.transpose(-1, -2)


def angle_relations(x: torch.Tensor) -> torch.Tensor:
    """Triplet relations: (…, K, h) → (…, K, K, K), entry [b, a, c] = cos∠(x_a − x_b, x_c − x_b), the angle
    at vertex b (0 where a or c equals b)."""
    diff = F.normalize(x.unsqueeze(-3) - x.unsqueeze(-2), dim=-1)  # [b, a] = x_a − x_b, unit length
    return diff @ diff.transpose(-1, -2)


def _window_angles(x: torch.Tensor, mask: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Angles cos∠(x_i − x_j, x_k − x_j) for anchors j and neighbours i ≠ k within ``radius`` of j.

    x (N, L, h), mask (N, L) → angles (N, L, K, K) with K = 2·radius, and their validity (all three tokens
    real, i ≠ k, inside the sequence)."""
    n, length, _ = x.shape
    offsets = [d for d in range(-radius, radius + 1) if d != 0]
    idx = torch.arange(length, device=x.device)
    diffs, valid = [], []
    for d in offsets:
        j = (idx + d).clamp(0, length - 1)
        inside = ((idx + d >= 0) & (idx + d < length)).unsqueeze(0)
        diffs.append(F.normalize(x[:, j, :] - x, dim=-1))
        valid.append(inside & mask[:, j].bool() & mask.bool())
    u = torch.stack(diffs, dim=2)  # (N, L, K, h)
    v = torch.stack(valid, dim=2)  # (N, L, K)
    angles = u @ u.transpose(-1, -2)  # (N, L, K, K)
    off_diag = ~torch.eye(len(offsets), dtype=torch.bool, device=x.device)
    ok = v.unsqueeze(-1) & v.unsqueeze(-2) & off_diag
    return angles, ok


def ckd_word_relation_loss(
    student_layers: list[torch.Tensor],
    teacher_layers: list[torch.Tensor],
    attention_mask: torch.Tensor,
    window: int = 5,
) -> torch.Tensor:
    """CKD's Word Relation loss (Park, Kim, Yang — EMNLP 2021, "Distilling Linguistic Context for Language
    Model Compression"; the code-study paper cites it as CKD):

    ``L_WR = mean_l [ mean_{i≠j} ℓ(cos(s_i, s_j), cos(t_i, t_j)) + mean_{(i,j,k)} ℓ(∠_s(i,j,k), ∠_t(i,j,k)) ]``

    within each mapped layer pair l (token states (N, L, h_s) and (N, L, h_t) over the *same* tokens), where
    ``∠(i, j, k) = cos∠(x_i − x_j, x_k − x_j)`` and ℓ is the Huber (smooth-L1, δ = 1) loss. Pairs range over
    all real tokens (``attention_mask``); triplets over neighbours i ≠ k within ``window`` (odd) tokens
    centred on j, as the paper's local-window approximation. Relations, not raw features: h_s ≠ h_t is fine.
    """
    if window < 3 or window % 2 == 0:
        raise ValueError(f"Expected an odd `window` >= 3, got {window}")
    if len(student_layers) != len(teacher_layers) or not student_layers:
        raise ValueError(
            f"Expected the same, non-zero number of student and teacher layers, got "
            f"{len(student_layers)} and {len(teacher_layers)}"
        )
    m = attention_mask.bool()
    pair_ok = (m.unsqueeze(-1) & m.unsqueeze(-2)) & ~torch.eye(m.shape[1], dtype=torch.bool, device=m.device)
    terms = []
    for s, t in zip(student_layers, teacher_layers, strict=True):
        if s.shape[:2] != t.shape[:2]:
            raise ValueError(
                f"CKD relates the same tokens: student states {tuple(s.shape)} and teacher states "
                f"{tuple(t.shape)} differ in rows or length (the two models need the same tokenization)"
            )
        pair = _relation_mismatch(cosine_relations(s), cosine_relations(t), pair_ok)
        s_ang, ok = _window_angles(s, m, window // 2)
        t_ang, _ = _window_angles(t, m, window // 2)
        terms.append(pair + _relation_mismatch(s_ang, t_ang, ok))
    return torch.stack(terms).mean()


def ckd_layer_relation_loss(
    student_layers: list[torch.Tensor], teacher_layers: list[torch.Tensor], attention_mask: torch.Tensor
) -> torch.Tensor:
    """CKD's Layer Transforming Relation loss (Park, Kim, Yang — EMNLP 2021):

    ``L_LTR = mean over real tokens i of [ mean_{l≠m} ℓ(cos(s_i^l, s_i^m), cos(t_i^l, t_i^m))
    + mean_{l,m,n distinct} ℓ(∠_s(l, m, n), ∠_t(l, m, n)) ]``

    with ``∠(l, m, n) = cos∠(x^l − x^m, x^n − x^m)`` across the M mapped layers of one token (how the token's
    representation moves through the network) and ℓ the Huber loss. The angle term needs M >= 3.
    """
    if len(student_layers) != len(teacher_layers) or len(student_layers) < 2:
        raise ValueError(
            f"LTR relates >= 2 mapped layers of each model, got {len(student_layers)} and {len(teacher_layers)}"
        )
    s = torch.stack(student_layers, dim=2)  # (N, L, M, h_s)
    t = torch.stack(teacher_layers, dim=2)
    if s.shape[:3] != t.shape[:3]:
        raise ValueError(
            f"CKD relates the same tokens: student states {tuple(s.shape)} and teacher states {tuple(t.shape)} "
            "differ in rows, length or mapped layers"
        )
    k = s.shape[2]
    tok = attention_mask.bool()[..., None, None]  # (N, L, 1, 1)
    eye = torch.eye(k, dtype=torch.bool, device=s.device)
    loss = _relation_mismatch(cosine_relations(s), cosine_relations(t), tok & ~eye)
    if k >= 3:
        distinct = ~(eye[:, :, None] | eye[:, None, :] | eye[None, :, :])  # (M, M, M), all three differ
        loss = loss + _relation_mismatch(angle_relations(s), angle_relations(t), tok[..., None] & distinct)
    return loss


def pearson_rows(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of each row of ``a`` with the same row of ``b``: (…, K) → (…)."""
    a = a - a.mean(-1, keepdim=True)
    b = b - b.mean(-1, keepdim=True)
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + eps)


def dist_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float = 1.0,
    beta: float = 1.0,
    gamma: float = 1.0,
) -> torch.Tensor:
    """DIST (Huang, You, Wang, Qian, Xu — NeurIPS 2022, "Knowledge Distillation from A Stronger Teacher"):

    ``T²·(β·L_inter + γ·L_intra)`` with ``p = softmax(z/T)``,
    ``L_inter = (1/B) Σ_i [1 − ρ(p_s[i, :], p_t[i, :])]`` (per example, across classes) and
    ``L_intra = (1/C) Σ_j [1 − ρ(p_s[:, j], p_t[:, j])]`` (per class, across the batch); ρ = Pearson.

    With two classes, ``p = (1 − q, q)`` makes ρ across classes ±1 (the sign of ``(q_s − ½)(q_t − ½)``), so
    ``L_inter`` is 2 × the fraction of argmax disagreements and has no gradient: for binary tasks DIST's
    signal is the intra-class (batch-wise) correlation.
    """
    if temperature <= 0:
        raise ValueError(f"Expected `temperature` > 0, got {temperature}")
    p_s = F.softmax(student_logits / temperature, dim=-1)
    p_t = F.softmax(teacher_logits / temperature, dim=-1)
    inter = (1 - pearson_rows(p_s, p_t)).mean()
    intra = (1 - pearson_rows(p_s.T, p_t.T)).mean()
    return temperature**2 * (beta * inter + gamma * intra)
