#!/usr/bin/env bash
# Small real-data AVATAR vs Compressor fits for bench/results/avatar_<task>.md, sized for a loaded 2-core CPU:
#   bash bench/avatar_fits.sh clone|vulnerability
# AVATAR: 6 search trials (1 epoch on 200 distillation examples, validated on 100), then the chosen student and
# Compressor's searched student are each distilled for 1 epoch on the same 2,000 examples, validated on 300 and
# tested on the first 1,000 test examples (bench/avatar_evidence.py then compares them with the teacher).
# TRAIN / EVAL override those two sizes; SEARCH_RESULT=<dir> reuses a finished search instead of searching.
set -euo pipefail
task=${1:?clone or vulnerability}
case $task in
  clone) dir=bigclonebench;;
  vulnerability) dir=devign;;
  *) echo "task must be clone or vulnerability" >&2; exit 2;;
esac
root=runs/evidence/avatar_$task
ckpt='[{"class_path": "lightning.pytorch.callbacks.ModelCheckpoint", "init_args": {"monitor": "val/acc", "mode": "max", "save_last": true}}]'
train=${TRAIN:-2000}  # distillation examples of both final fits
eval=${EVAL:-1000}  # validation and test examples
common=(--trainer.max_epochs 1 --trainer.val_check_interval 0.5 --trainer.callbacks "$ckpt"
        --data.init_args.max_train_examples "$train" --data.init_args.max_eval_examples "$eval"
        --trainer.enable_progress_bar false)
search='{"n_trials": 6, "trial_epochs": 1, "trial_train_examples": 200, "trial_eval_examples": 100, "workers": 2,
         "population": 20, "generations": 50, "seed": 0, "genes": {"attention_probs_dropout_prob": [0.0]}}'
python train.py fit --config lightning_configs/$dir/avatar.yaml "${common[@]}" \
  --trainer.default_root_dir $root/avatar --model.init_args.export_dir $root/avatar/model \
  --model.init_args.search "$search" ${SEARCH_RESULT:+--model.init_args.search_result "$SEARCH_RESULT"}
python train.py fit --config lightning_configs/$dir/compressor.yaml "${common[@]}" \
  --trainer.default_root_dir $root/compressor --model.init_args.export_dir $root/compressor/model
echo "fits done: $root"
