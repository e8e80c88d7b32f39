// data/pack: shared by pack.c (writing, opening) and pack_parts.c (the optional annotations and
// readings). Private to data/.
#ifndef CX_DATA_PACK_INTERNAL_H
#define CX_DATA_PACK_INTERNAL_H

#include "data/data.h"

// Before writing: what pack_open will check (a bug upstream is refused, not written).
int pack_check_annotations_out(const pack_contents *c, cx_error *err);
int pack_check_readings_out(const pack_contents *c, cx_error *err);
// readings.csv at path: reading,row,dicom_id,source,reading_id.
int pack_write_readings(const pack_contents *c, const char *path, cx_error *err);
// On open, after the tensors are mapped: the annotation_labels metadata, the annotations' rows,
// labels and values; the readings' rows, sources and values; readings.csv (after index.csv).
int pack_read_annotation_labels(pack *p, cx_error *err);
int pack_check_annotations(pack *p, cx_error *err);
int pack_check_readings(pack *p, cx_error *err);
int pack_read_readings(pack *p, cx_error *err);

#endif
