// ops_nn.h — checked wrappers fz_op_* for the nn op family (validate shapes, then call the backend).
#ifndef FZ_OPS_NN_H
#define FZ_OPS_NN_H
#endif
