#!/usr/bin/env bash
# One of the two final fits of bench/avatar_fits.sh, for running them separately or in parallel:
#   TRAIN=400 EVAL=200 [SEARCH_RESULT=dir] [ROOT=dir] bash bench/avatar_fit_one.sh clone avatar|compressor
set -euo pipefail
task=${1:?clone or vulnerability}; method=${2:?avatar or compressor}
case $task in clone) dir=bigclonebench;; vulnerability) dir=devign;; *) echo "bad task" >&2; exit 2;; esac
root=${ROOT:-runs/evidence/avatar_$task}  # ROOT=<dir> puts the fit elsewhere (bench/avatar_evidence.py --root)
ckpt='[{"class_path": "lightning.pytorch.callbacks.ModelCheckpoint", "init_args": {"monitor": "val/acc", "mode": "max", "save_last": true}}]'
python train.py fit --config lightning_configs/$dir/$method.yaml --trainer.max_epochs 1 --trainer.val_check_interval 0.5 \
  --trainer.callbacks "$ckpt" --data.init_args.max_train_examples "${TRAIN:-2000}" \
  --data.init_args.max_eval_examples "${EVAL:-1000}" --trainer.enable_progress_bar false \
  --trainer.default_root_dir $root/$method --model.init_args.export_dir $root/$method/model \
  ${SEARCH_RESULT:+--model.init_args.search_result "$SEARCH_RESULT"}
