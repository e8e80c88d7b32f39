// study: the study's stages as library functions (ARCHITECTURE.md). Each stage takes a settings
// struct, returns a typed result, and owns its files: a writer and a reader per file format, side
// by side, in the file that produces it. Every later stage and the report read a stage's files
// only through the readers here. File names and columns are the ones users rely on (README,
// DATA-FORMATS.md); they are extended, never renamed. Depends on train, attr, model, data, stats,
// io, util.
#ifndef CX_STUDY_H
#define CX_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "attr/attr.h"
#include "data/data.h"
#include "model/model.h"
#include "stats/stats.h"
#include "train/train.h"
#include "util/util.h"

// ==== evaluate (evaluate.c, eval_files.c): predictions, thresholds, AUROC + CIs, DeLong ==========

// ==== attribute a split (attribute.c, attr_files.c): maps + their index (maps.csv) ===============

// ==== compare with gaze (compare*.c): image-level metrics, regions, planted findings ============

// ==== sanity checks (sanity.c): Adebayo et al. cascading / independent randomisation ===========

// ==== the demo pipeline (demo.c): every stage above on synthetic data ==========================

#endif
