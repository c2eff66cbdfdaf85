#!/usr/bin/env bash
# MORPH on BigCloneBench, sized for <= 15 min on a loaded 2-core CPU (figures: bench/results/morph_bigclonebench.md).
#   bash bench/morph_bcb.sh                      # search (6 LHS trials on 200 pairs) + fit, augment_targets teacher
#   TARGETS=source SEARCH_RESULT=runs/evidence/morph_clone/teacher/search bash bench/morph_bcb.sh   # same student
#   PYTHONPATH=. python bench/morph_report.py runs/evidence/morph_clone   # the tables of the results file
# The issue-size run (bench/results/morph_bigclonebench.md, "4,000-pair" section) overrides the sizes:
#   COLLAPSE=0.02 ROOT=runs/evidence/morph_clone_4k TRIALS=12 TRIAL_TRAIN=2000 TRIAL_EVAL=300 TRAIN=4000 EVAL=1000 \
#     GENES='{"attention_probs_dropout_prob": [0.0], "learning_rate": [0.001], "num_hidden_layers": {"low": 1, "high": 6},
#            "intermediate_size": {"low": 32, "high": 512}, "max_seq_len": {"low": 256, "high": 320}}' bash bench/morph_bcb.sh
# Departures from lightning_configs/bigclonebench/morph.yaml (all for time): 6 trials on 200 pairs (eval 100),
# max_seq_len 128 and 1-4 layers in the search space, 1 epoch on TRAIN (400) distillation pairs + their copies,
# EVAL (400) validation and test pairs, no FidelityCallback, no efficiency report.
set -euo pipefail
targets=${TARGETS:-teacher}
root=${ROOT:-runs/evidence/morph_clone}/$targets
genes=${GENES:-'{"attention_probs_dropout_prob": [0.0], "max_seq_len": [128], "num_hidden_layers": {"low": 1, "high": 4}}'}
cbs='[{"class_path": "kd.methods.morph.MorphSelection"},
      {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
       "init_args": {"monitor": "val/morph_selection", "mode": "max", "save_last": true}}]'
search="{\"n_trials\": ${TRIALS:-6}, \"trial_epochs\": 1, \"trial_train_examples\": ${TRIAL_TRAIN:-200},
  \"trial_eval_examples\": ${TRIAL_EVAL:-100}, \"workers\": 2, \"launcher\": \"local\", \"algorithm\": \"agemoea\",
  \"population\": 50, \"generations\": 100, \"seed\": 0, \"genes\": $genes}"
python train.py fit --config lightning_configs/bigclonebench/morph.yaml --trainer.max_epochs 1 \
  --trainer.val_check_interval 0.5 --trainer.callbacks "$cbs" --trainer.enable_progress_bar false \
  --data.init_args.max_train_examples "${TRAIN:-400}" --data.init_args.max_eval_examples "${EVAL:-400}" \
  --trainer.default_root_dir "$root" --model.init_args.export_dir "$root/model" \
  --model.init_args.augment_targets "$targets" --model.init_args.search "$search" \
  --model.init_args.efficiency_examples 0 ${COLLAPSE:+--model.init_args.collapse_min_fraction "$COLLAPSE"} \
  ${SEARCH_RESULT:+--model.init_args.search_result "$SEARCH_RESULT"}
