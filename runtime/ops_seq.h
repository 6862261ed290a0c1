// ops_seq.h — checked wrappers fz_op_* for the seq op family (validate shapes, then call the backend).
#ifndef FZ_OPS_SEQ_H
#define FZ_OPS_SEQ_H
#endif
