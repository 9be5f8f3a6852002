#include "textflag.h"

// ZERO4x16 clears the 4x16 block Y0-Y7. FMA4x16 adds to it the product of
// one value of each of 4 rows of A (at SI, R11, R12, R13) by the 16 values
// of a row of B in Y8, Y9.
#define ZERO4x16 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7
#define FMA4x16 \
	VBROADCASTSS (SI), Y10; \
	VFMADD231PS Y8, Y10, Y0; \
	VFMADD231PS Y9, Y10, Y1; \
	VBROADCASTSS (R11), Y11; \
	VFMADD231PS Y8, Y11, Y2; \
	VFMADD231PS Y9, Y11, Y3; \
	VBROADCASTSS (R12), Y12; \
	VFMADD231PS Y8, Y12, Y4; \
	VFMADD231PS Y9, Y12, Y5; \
	VBROADCASTSS (R13), Y13; \
	VFMADD231PS Y8, Y13, Y6; \
	VFMADD231PS Y9, Y13, Y7

// ADD4x16 adds the 4x16 block in Y0-Y7 (two registers a row) into C at
// DX, rows R10 bytes apart; PUT4x16 stores it there.
#define ADD4x16 \
	VADDPS (DX), Y0, Y0; \
	VADDPS 32(DX), Y1, Y1; \
	VMOVUPS Y0, (DX); \
	VMOVUPS Y1, 32(DX); \
	ADDQ R10, DX; \
	VADDPS (DX), Y2, Y2; \
	VADDPS 32(DX), Y3, Y3; \
	VMOVUPS Y2, (DX); \
	VMOVUPS Y3, 32(DX); \
	ADDQ R10, DX; \
	VADDPS (DX), Y4, Y4; \
	VADDPS 32(DX), Y5, Y5; \
	VMOVUPS Y4, (DX); \
	VMOVUPS Y5, 32(DX); \
	ADDQ R10, DX; \
	VADDPS (DX), Y6, Y6; \
	VADDPS 32(DX), Y7, Y7; \
	VMOVUPS Y6, (DX); \
	VMOVUPS Y7, 32(DX)
#define PUT4x16 \
	VMOVUPS Y0, (DX); \
	VMOVUPS Y1, 32(DX); \
	ADDQ R10, DX; \
	VMOVUPS Y2, (DX); \
	VMOVUPS Y3, 32(DX); \
	ADDQ R10, DX; \
	VMOVUPS Y4, (DX); \
	VMOVUPS Y5, 32(DX); \
	ADDQ R10, DX; \
	VMOVUPS Y6, (DX); \
	VMOVUPS Y7, 32(DX)

// func sgemm4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, store bool)
// C[0:4, 0:16] += A[0:4, 0:k] * B[0:k, 0:16] (store: =); strides in
// elements.
TEXT ·sgemm4x16(SB), NOSPLIT, $0-57
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	MOVQ k+48(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	ZERO4x16

k4loop:
	TESTQ CX, CX
	JE    k4done
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	FMA4x16
	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ R9, DI
	DECQ CX
	JMP  k4loop

k4done:
	MOVBQZX store+56(FP), AX
	TESTQ   AX, AX
	JNE     k4store
	ADD4x16
	VZEROUPPER
	RET

k4store:
	PUT4x16
	VZEROUPPER
	RET

// func sgemm1x16(a *float32, b *float32, ldb int, c *float32, k int, store bool)
// C[0, 0:16] += A[0, 0:k] * B[0:k, 0:16] (store: =).
TEXT ·sgemm1x16(SB), NOSPLIT, $0-41
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ ldb+16(FP), R9
	MOVQ c+24(FP), DX
	MOVQ k+32(FP), CX
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

k1loop:
	TESTQ CX, CX
	JE    k1done
	VBROADCASTSS (SI), Y10
	VFMADD231PS (DI), Y10, Y0
	VFMADD231PS 32(DI), Y10, Y1
	ADDQ $4, SI
	ADDQ R9, DI
	DECQ CX
	JMP  k1loop

k1done:
	MOVBQZX store+40(FP), AX
	TESTQ   AX, AX
	JNE     k1store
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1

k1store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func packStrips(b *float32, ldb int, dst *float32, kb, strips int)
// For p < kb, st < strips: dst[(st*kb+p)*16 : +16] = b[p*ldb+st*16 : +16].
TEXT ·packStrips(SB), NOSPLIT, $0-40
	MOVQ b+0(FP), SI
	MOVQ ldb+8(FP), R9
	MOVQ dst+16(FP), DI
	MOVQ kb+24(FP), CX
	MOVQ strips+32(FP), R8
	SHLQ $2, R9
	MOVQ CX, R10
	SHLQ $6, R10 // bytes between strips in dst

prow:
	TESTQ CX, CX
	JE    pdone
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R8, R13

pstrip:
	TESTQ   R13, R13
	JE      pnext
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	ADDQ    $64, R11
	ADDQ    R10, R12
	DECQ    R13
	JMP     pstrip

pnext:
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JMP  prow

pdone:
	VZEROUPPER
	RET

// func sdot(a, b *float32, k int) float32
// sum_p a[p] * b[p]; k is a multiple of 8.
TEXT ·sdot(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ k+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ AX, AX
	SHRQ $3, CX

dloop:
	TESTQ CX, CX
	JE    ddone
	VMOVUPS (SI)(AX*1), Y2
	VFMADD231PS (DI)(AX*1), Y2, Y0
	ADDQ $32, AX
	DECQ CX
	JMP  dloop

ddone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET


// func vadd(dst, src *float32, n int)
// dst[i] += src[i] for i < n.
TEXT ·vadd(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

v8loop:
	CMPQ    CX, $8
	JL      v1loop
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     v8loop

v1loop:
	TESTQ  CX, CX
	JE     vdone
	VMOVSS (DI), X0
	VADDSS (SI), X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, DI
	ADDQ   $4, SI
	DECQ   CX
	JMP    v1loop

vdone:
	VZEROUPPER
	RET

// func sgemm4x16g(a *float32, lda int, b *float32, offs *int, c *float32, ldc int, k int, store bool)
// C[0:4, 0:16] += A[0:4, 0:k] * B'[0:k, 0:16] (store: =), where row p of B'
// is the 16 values from b[offs[p]]: sgemm4x16 over rows gathered from an
// image (an implicit convolution's taps) instead of a packed strip.
TEXT ·sgemm4x16g(SB), NOSPLIT, $0-57
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	MOVQ b+16(FP), R14
	MOVQ offs+24(FP), BX
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	MOVQ k+48(FP), CX
	SHLQ $2, R8
	SHLQ $2, R10
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	ZERO4x16

g4loop:
	TESTQ CX, CX
	JE    g4done
	MOVQ  (BX), AX
	VMOVUPS (R14)(AX*4), Y8
	VMOVUPS 32(R14)(AX*4), Y9
	FMA4x16
	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ $8, BX
	DECQ CX
	JMP  g4loop

g4done:
	MOVBQZX store+56(FP), AX
	TESTQ   AX, AX
	JNE     g4store
	ADD4x16
	VZEROUPPER
	RET

g4store:
	PUT4x16
	VZEROUPPER
	RET

// NTOSUM adds the 8 lanes of Y (X its low half) into the float32 at M.
#define NTOSUM(Y, X, M) \
	VEXTRACTF128 $1, Y, X15; \
	VADDPS X15, X, X; \
	VHADDPS X, X, X; \
	VHADDPS X, X, X; \
	VADDSS M, X, X; \
	VMOVSS X, M

// func sgemmNT4x3o(a *float32, aoffs *int, b *float32, boffs *int, c *float32, ldci, ldcj int, k int)
// c[i*ldci + j*ldcj] += sum_p a[aoffs[i]+p] * b[boffs[j]+p] for i < 4,
// j < 3: dot products of rows anywhere (rows of a matrix, or taps of an
// image in an implicit convolution's weight gradient), into C or its
// transpose; k is a multiple of 8.
TEXT ·sgemmNT4x3o(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), AX
	MOVQ aoffs+8(FP), R8
	MOVQ b+16(FP), DX
	MOVQ boffs+24(FP), R9
	MOVQ (R8), SI
	LEAQ (AX)(SI*4), SI
	MOVQ 8(R8), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 16(R8), R12
	LEAQ (AX)(R12*4), R12
	MOVQ 24(R8), R13
	LEAQ (AX)(R13*4), R13
	MOVQ (R9), DI
	LEAQ (DX)(DI*4), DI
	MOVQ 8(R9), R14
	LEAQ (DX)(R14*4), R14
	MOVQ 16(R9), BX
	LEAQ (DX)(BX*4), BX
	MOVQ k+56(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ AX, AX
	SHRQ $3, CX

noloop:
	TESTQ CX, CX
	JE    nodone
	VMOVUPS (DI)(AX*1), Y12
	VMOVUPS (R14)(AX*1), Y13
	VMOVUPS (BX)(AX*1), Y14
	VMOVUPS (SI)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y1
	VFMADD231PS Y15, Y14, Y2
	VMOVUPS (R11)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y5
	VMOVUPS (R12)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS (R13)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y9
	VFMADD231PS Y15, Y13, Y10
	VFMADD231PS Y15, Y14, Y11
	ADDQ $32, AX
	DECQ CX
	JMP  noloop

nodone:
	MOVQ c+32(FP), DX
	MOVQ ldci+40(FP), R10
	MOVQ ldcj+48(FP), R9
	SHLQ $2, R10
	SHLQ $2, R9
	NTOSUM(Y0, X0, (DX))
	NTOSUM(Y1, X1, (DX)(R9*1))
	NTOSUM(Y2, X2, (DX)(R9*2))
	ADDQ R10, DX
	NTOSUM(Y3, X3, (DX))
	NTOSUM(Y4, X4, (DX)(R9*1))
	NTOSUM(Y5, X5, (DX)(R9*2))
	ADDQ R10, DX
	NTOSUM(Y6, X6, (DX))
	NTOSUM(Y7, X7, (DX)(R9*1))
	NTOSUM(Y8, X8, (DX)(R9*2))
	ADDQ R10, DX
	NTOSUM(Y9, X9, (DX))
	NTOSUM(Y10, X10, (DX)(R9*1))
	NTOSUM(Y11, X11, (DX)(R9*2))
	VZEROUPPER
	RET
