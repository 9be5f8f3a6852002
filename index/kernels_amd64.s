#include "textflag.h"

// func l2AVX2(a, b *float32, n int) float32
// Squared Euclidean distance: four 8-wide FMA accumulators, then 8-wide,
// then scalar tails. Needs AVX2 and FMA.
TEXT ·l2AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

l2loop32:
	CMPQ CX, $32
	JL   l2loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VSUBPS  (DI), Y4, Y4
	VSUBPS  32(DI), Y5, Y5
	VSUBPS  64(DI), Y6, Y6
	VSUBPS  96(DI), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  l2loop32

l2loop8:
	CMPQ CX, $8
	JL   l2reduce
	VMOVUPS (SI), Y4
	VSUBPS  (DI), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  l2loop8

l2reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

l2tail:
	TESTQ CX, CX
	JE    l2done
	VMOVSS (SI), X4
	VSUBSS (DI), X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  l2tail

l2done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dotloop32:
	CMPQ CX, $32
	JL   dotloop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dotloop32

dotloop8:
	CMPQ CX, $8
	JL   dotreduce
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dotloop8

dotreduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

dottail:
	TESTQ CX, CX
	JE    dotdone
	VMOVSS (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  dottail

dotdone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func prefetch(p *float32, lines int)
// Asks for lines consecutive 64-byte cache lines from p (PREFETCHT0).
TEXT ·prefetch(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ lines+8(FP), CX

pfloop:
	TESTQ CX, CX
	JE    pfdone
	PREFETCHT0 (SI)
	ADDQ $64, SI
	DECQ CX
	JMP  pfloop

pfdone:
	RET

// func sq8L2AVX2(a, s *float32, c *byte, n int) float32
// sum_j (a_j - s_j*c_j)^2 over byte codes c: 8 codes widened to int32 and
// converted to float per step, two accumulators.
TEXT ·sq8L2AVX2(SB), NOSPLIT, $0-36
	MOVQ a+0(FP), SI
	MOVQ s+8(FP), DX
	MOVQ c+16(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

sq8l2loop16:
	CMPQ CX, $16
	JL   sq8l2loop8
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y5
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VMOVUPS (SI), Y6
	VMOVUPS 32(SI), Y7
	VFNMADD231PS (DX), Y4, Y6
	VFNMADD231PS 32(DX), Y5, Y7
	VFMADD231PS Y6, Y6, Y0
	VFMADD231PS Y7, Y7, Y1
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  sq8l2loop16

sq8l2loop8:
	CMPQ CX, $8
	JL   sq8l2reduce
	VPMOVZXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VMOVUPS (SI), Y6
	VFNMADD231PS (DX), Y4, Y6
	VFMADD231PS Y6, Y6, Y0
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  sq8l2loop8

sq8l2reduce:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

sq8l2tail:
	TESTQ CX, CX
	JE    sq8l2done
	MOVBLZX (DI), AX
	VCVTSI2SSL AX, X4, X4
	VMOVSS (SI), X6
	VFNMADD231SS (DX), X4, X6
	VFMADD231SS X6, X6, X0
	ADDQ $4, SI
	ADDQ $4, DX
	INCQ DI
	DECQ CX
	JMP  sq8l2tail

sq8l2done:
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func sq8DotAVX2(a *float32, c *byte, n int) float32
// sum_j a_j*c_j over byte codes c.
TEXT ·sq8DotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

sq8dotloop16:
	CMPQ CX, $16
	JL   sq8dotloop8
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y5
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	ADDQ $64, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  sq8dotloop16

sq8dotloop8:
	CMPQ CX, $8
	JL   sq8dotreduce
	VPMOVZXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ $32, SI
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  sq8dotloop8

sq8dotreduce:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

sq8dottail:
	TESTQ CX, CX
	JE    sq8dotdone
	MOVBLZX (DI), AX
	VCVTSI2SSL AX, X4, X4
	VFMADD231SS (SI), X4, X0
	ADDQ $4, SI
	INCQ DI
	DECQ CX
	JMP  sq8dottail

sq8dotdone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func l2GatherAVX2(q *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32)
// out[i] = squared L2 distance from q to the dim floats at base +
// ids[i]*stride bytes, for i < n: one call for a node's neighbours instead
// of one per neighbour. The per-vector loops are l2AVX2's.
TEXT ·l2GatherAVX2(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), R8
	MOVQ base+8(FP), R9
	MOVQ ids+16(FP), R10
	MOVQ n+24(FP), R11
	MOVQ stride+32(FP), R12
	MOVQ dim+40(FP), R13
	MOVQ out+48(FP), R14

gatherloop:
	TESTQ R11, R11
	JE    gatherdone
	MOVL  (R10), AX
	IMULQ R12, AX
	LEAQ  (R9)(AX*1), DI
	MOVQ  R8, SI
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

gl2loop32:
	CMPQ CX, $32
	JL   gl2loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VSUBPS  (DI), Y4, Y4
	VSUBPS  32(DI), Y5, Y5
	VSUBPS  64(DI), Y6, Y6
	VSUBPS  96(DI), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  gl2loop32

gl2loop8:
	CMPQ CX, $8
	JL   gl2reduce
	VMOVUPS (SI), Y4
	VSUBPS  (DI), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  gl2loop8

gl2reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

gl2tail:
	TESTQ CX, CX
	JE    gl2store
	VMOVSS (SI), X4
	VSUBSS (DI), X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  gl2tail

gl2store:
	MOVSS X0, (R14)
	ADDQ  $4, R14
	ADDQ  $4, R10
	DECQ  R11
	JMP   gatherloop

gatherdone:
	VZEROUPPER
	RET

// func sq8L2GatherAVX2(a, s *float32, base *uint32, ids *uint32, n, stride, dim int, out *float32)
// out[i] = sum_j (a_j - s_j*c_j)^2 over the dim byte codes c at base +
// ids[i]*stride bytes, for i < n (sq8L2AVX2's loops, one call per node's
// neighbours).
TEXT ·sq8L2GatherAVX2(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), R8
	MOVQ s+8(FP), R15
	MOVQ base+16(FP), R9
	MOVQ ids+24(FP), R10
	MOVQ n+32(FP), R11
	MOVQ stride+40(FP), R12
	MOVQ dim+48(FP), R13
	MOVQ out+56(FP), R14

sgatherloop:
	TESTQ R11, R11
	JE    sgatherdone
	MOVL  (R10), AX
	IMULQ R12, AX
	LEAQ  (R9)(AX*1), DI
	MOVQ  R8, SI
	MOVQ  R15, DX
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

sgl2loop16:
	CMPQ CX, $16
	JL   sgl2loop8
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y5
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VMOVUPS (SI), Y6
	VMOVUPS 32(SI), Y7
	VFNMADD231PS (DX), Y4, Y6
	VFNMADD231PS 32(DX), Y5, Y7
	VFMADD231PS Y6, Y6, Y0
	VFMADD231PS Y7, Y7, Y1
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  sgl2loop16

sgl2loop8:
	CMPQ CX, $8
	JL   sgl2reduce
	VPMOVZXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VMOVUPS (SI), Y6
	VFNMADD231PS (DX), Y4, Y6
	VFMADD231PS Y6, Y6, Y0
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  sgl2loop8

sgl2reduce:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

sgl2tail:
	TESTQ CX, CX
	JE    sgl2store
	MOVBLZX (DI), AX
	VCVTSI2SSL AX, X4, X4
	VMOVSS (SI), X6
	VFNMADD231SS (DX), X4, X6
	VFMADD231SS X6, X6, X0
	ADDQ $4, SI
	ADDQ $4, DX
	INCQ DI
	DECQ CX
	JMP  sgl2tail

sgl2store:
	MOVSS X0, (R14)
	ADDQ  $4, R14
	ADDQ  $4, R10
	DECQ  R11
	JMP   sgatherloop

sgatherdone:
	VZEROUPPER
	RET
