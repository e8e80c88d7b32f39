// Hand-written miniature MIMIC-CXR-JPG and EGD-CXR trees for the data tests (no synth needed).
// Every table uses the real headers of DATA-FORMATS.md; some columns are deliberately reordered
// to prove that readers find columns by name.
#ifndef CX_TEST_TINY_TREES_H
#define CX_TEST_TINY_TREES_H

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"

#include "io/io.h"

// rm -r of a test output tree (tests/out outlives a run: start every tree afresh).
static inline void rm_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void write_text(const char *path, const char *text) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        cx_mkdir_p(dir, NULL);
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline void write_gz(const char *path, const char *text) {
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    gzputs(g, text);
    gzclose(g);
}

static inline const char *tree_path(const char *root, const char *rel) {
    static char buf[8][4096];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

// The table root/rel (.csv or .csv.gz), read whole; fails the test if it cannot be read.
static inline csv_table *tree_table(const char *root, const char *rel) {
    cx_error err = {0};
    csv_table *t = csv_table_read(tree_path(root, rel), &err);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

#define MIMIC_META_HEADER                                                                      \
    "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns," \
    "StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,"       \
    "PatientOrientationCodeSequence_CodeMeaning\n"
#define CHEXPERT_HEADER                                                                        \
    "subject_id,study_id,Atelectasis,Cardiomegaly,Consolidation,Edema,Enlarged "               \
    "Cardiomediastinum,Fracture,Lung Lesion,Lung Opacity,No Finding,Pleural Effusion,Pleural " \
    "Other,Pneumonia,Pneumothorax,Support Devices\n"

// Six images: d1 PA, d2 LATERAL (same study), d3 AP, d4 PA without split row, d5 PA without
// label row, d6 no view. Image sizes W x H: d1 50x60, d3 60x50, others 40x40.
static inline void write_tiny_mimic(const char *root, int gz) {
    const char *meta =
        MIMIC_META_HEADER
        "d1,10000001,50000001,CHEST (PA AND LAT),PA,60,50,21800506,213014.531,Chest X-ray,"
        "postero-anterior,Erect\n"
        "d2,10000001,50000001,CHEST (PA AND LAT),LATERAL,40,40,21800506,213014.531,Chest X-ray,"
        "lateral,Erect\n"
        "d3,10000002,50000002,\"CHEST (PORTABLE AP)\",AP,50,60,21800507,1.5,Chest X-ray,"
        "antero-posterior,\n"
        "d4,10000003,50000003,CHEST,PA,40,40,21800508,1,,,\n"
        "d5,10000004,50000004,CHEST,PA,40,40,21800509,1,,,\n"
        "d6,10000005,50000005,CHEST,,40,40,21800510,1,,,\n";
    // columns reordered: readers must go by name
    const char *split = "split,subject_id,study_id,dicom_id\n"
                        "train,10000001,50000001,d1\n"
                        "train,10000001,50000001,d2\n"
                        "test,10000002,50000002,d3\n"
                        "validate,10000004,50000004,d5\n"
                        "validate,10000005,50000005,d6\n";
    const char *chex = CHEXPERT_HEADER
        "10000001,50000001,1.0,0.0,-1.0,,1,0,-1,,0.0,1.0,-1.0,,0,1\n"
        "10000002,50000002,,,,,,,,,1.0,,,,,\n"
        "10000003,50000003,0,0,0,0,0,0,0,0,1,0,0,0,0,0\n"
        "10000005,50000005,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1\n";
    const char *negbio = CHEXPERT_HEADER
        "10000001,50000001,0,0,0,0,0,0,0,0,1,0,0,0,0,0\n"
        "10000002,50000002,1,,,,,,,,,,,,,\n"
        "10000005,50000005,,,,,,,,,,,,,,\n";
    cx_mkdir_p(root, NULL);
    if (gz) {
        write_gz(tree_path(root, "mimic-cxr-2.0.0-metadata.csv.gz"), meta);
        write_gz(tree_path(root, "mimic-cxr-2.0.0-split.csv.gz"), split);
        write_gz(tree_path(root, "mimic-cxr-2.0.0-chexpert.csv.gz"), chex);
        write_gz(tree_path(root, "mimic-cxr-2.0.0-negbio.csv.gz"), negbio);
    } else {
        write_text(tree_path(root, "mimic-cxr-2.0.0-metadata.csv"), meta);
        write_text(tree_path(root, "mimic-cxr-2.0.0-split.csv"), split);
        write_text(tree_path(root, "mimic-cxr-2.0.0-chexpert.csv"), chex);
        write_text(tree_path(root, "mimic-cxr-2.0.0-negbio.csv"), negbio);
    }
}

#define EGD_MASTER_HEADER                                                                      \
    "dicom_id,path,study_id,patient_id,stay_id,gender,anchor_age,image_top_pad,"               \
    "image_bottom_pad,image_left_pad,image_right_pad,dx1,dx1_icd,dx2,dx2_icd,dx3,dx3_icd,dx4,"  \
    "dx4_icd,dx5,dx5_icd,dx6,dx6_icd,dx7,dx7_icd,dx8,dx8_icd,dx9,dx9_icd,normal_reports,"       \
    "Normal,CHF,pneumonia,consolidation,enlarged_cardiac_silhouette,linear__patchy_atelectasis," \
    "lobar__segmental_collapse,not_otherwise_specified_opacity___pleural__parenchymal_opacity__," \
    "pleural_effusion_or_thickening,pulmonary_edema__hazy_opacity,normal_anatomically,"        \
    "elevated_hemidiaphragm,hyperaeration,vascular_redistribution,atelectasis__chx,"            \
    "cardiomegaly__chx,consolidation__chx,edema__chx,enlarged_cardiomediastinum__chx,"          \
    "fracture__chx,lung_lesion__chx,lung_opacity__chx,no_finding__chx,pleural_effusion__chx,"   \
    "pleural_other__chx,pneumonia__chx,pneumothorax__chx,support_devices__chx,"                 \
    "cxr_exam_indication\n"
#define FIX_HEADER                                                                             \
    "SESSION_ID,MEDIA_ID,DICOM_ID,CNT,Time (in secs),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,"   \
    "FPOGD,FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,LPCX,LPCY,LPD,LPS,LPV,RPCX,RPCY,RPD,RPS,RPV,BKID,"     \
    "BKDUR,BKPMIN,LPMM,LPMMV,RPMM,RPMMV,SACCADE_MAG,SACCADE_DIR,VID_FRAME,X_ORIGINAL,"          \
    "Y_ORIGINAL\n"

// One master_sheet row (59 fields): dx1 is a quoted multi-line text with commas.
static inline void master_row(char *out, size_t cap, const char *dicom, const char *subject,
                              const char *study, int top, int bottom, int left, int right,
                              const char *chx14) {
    snprintf(out, cap,
             "%s,files/p%.2s/p%s/s%s/%s.dcm,%s,%s,30000001,F,20 - 30,%d,%d,%d,%d,"
             "\"Pneumonia, unspecified\norganism\",J189,,,,,,,,,,,,,,,,,"
             "\"normal, no acute\",0,1,0,0,0,0,0,0,0,0,0,0,0,0,%s,\"Dyspnea, \"\"SOB\"\"\"\n",
             dicom, subject, subject, study, dicom, study, subject, top, bottom, left, right,
             chx14);
}

// One fixations row (37 fields).
static inline void fix_row(char *out, size_t cap, const char *dicom, double fx, double fy,
                           double dur, const char *xo, const char *yo) {
    snprintf(out, cap,
             "1,2,%s,3,1.25,12500000,%.5f,%.5f,1.0,%.4f,7,1,0.4,0.3,1,0.1,0.2,5.1,1,1,0.1,0.2,5.2,1,"
             "1,0,0,0,3.1,1,3.2,1,0,0,25,%s,%s\n",
             dicom, fx, fy, dur, xo, yo);
}

// Every file of tree a is in b with the same bytes (recursively); returns how many. Fails the
// test naming a missing or differing file.
static inline int same_tree(const char *a, const char *b) {
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        if (cx_is_dir(pa)) {
            n += same_tree(pa, pb);
            continue;
        }
        char *da, *db;
        size_t na, nb;
        cx_error err;
        assert_int_equal(cx_read_file(pa, &da, &na, &err), 0);
        if (cx_read_file(pb, &db, &nb, &err)) fail_msg("%s missing in the second tree", pb);
        if (na != nb || memcmp(da, db, na)) fail_msg("%s and %s differ", pa, pb);
        free(da);
        free(db);
        n++;
    }
    closedir(d);
    return n;
}

#endif
