// ops_fir.h — checked wrappers fz_op_* for the fir op family (validate shapes, then call the backend).
#ifndef FZ_OPS_FIR_H
#define FZ_OPS_FIR_H
#endif
