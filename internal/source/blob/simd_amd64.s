//go:build amd64 && !purego

#include "textflag.h"

// func indexPairAVX2(h []byte, b1, b2, b3 byte, d, e int) int
//
// Registers: SI &h[0], R8 &h[d], BX end of the positions scanned, R12
// len(h), CX e, R13 b3, DI block start, DX start of the block whose mask
// is in AX, R9-R11 scratch.
TEXT ·indexPairAVX2(SB), NOSPLIT, $0-56
	MOVQ    h_base+0(FP), SI
	MOVQ    h_len+8(FP), BX
	MOVQ    BX, R12
	MOVBLZX b1+24(FP), AX
	MOVBLZX b2+25(FP), CX
	MOVBLZX b3+26(FP), R13
	MOVQ    d+32(FP), DX
	MOVD    AX, X0
	VPBROADCASTB X0, Y0
	MOVD    CX, X1
	VPBROADCASTB X1, Y1
	MOVQ    e+40(FP), CX
	SUBQ    DX, BX              // candidate positions: [0, len-d)
	ANDQ    $~31, BX            // whole blocks of 32 only
	LEAQ    (SI)(DX*1), R8      // R8 = &h[d]
	XORQ    DI, DI

loop64:
	LEAQ    64(DI), R9
	CMPQ    R9, BX
	JA      tail32
	VPCMPEQB (SI)(DI*1), Y0, Y2
	VPCMPEQB (R8)(DI*1), Y1, Y3
	VPCMPEQB 32(SI)(DI*1), Y0, Y4
	VPCMPEQB 32(R8)(DI*1), Y1, Y5
	VPAND   Y2, Y3, Y3
	VPAND   Y4, Y5, Y5
	VPOR    Y3, Y5, Y6
	VPTEST  Y6, Y6
	JNZ     found64
next64:
	ADDQ    $64, DI
	JMP     loop64

found64:
	VPMOVMSKB Y3, AX
	MOVQ    DI, DX
low:
	TESTL   AX, AX
	JZ      high
	BSFL    AX, R9
	LEAQ    (DX)(R9*1), R10     // candidate
	LEAQ    (R10)(CX*1), R11    // where b3 belongs
	CMPQ    R11, R12
	JAE     accept              // outside h: let the caller decide
	MOVBLZX (SI)(R11*1), R9
	CMPL    R9, R13
	JEQ     accept
	LEAL    -1(AX), R9
	ANDL    R9, AX
	JMP     low
high:
	VPMOVMSKB Y5, AX
	LEAQ    32(DI), DX
high1:
	TESTL   AX, AX
	JZ      next64
	BSFL    AX, R9
	LEAQ    (DX)(R9*1), R10
	LEAQ    (R10)(CX*1), R11
	CMPQ    R11, R12
	JAE     accept
	MOVBLZX (SI)(R11*1), R9
	CMPL    R9, R13
	JEQ     accept
	LEAL    -1(AX), R9
	ANDL    R9, AX
	JMP     high1

tail32:
	LEAQ    32(DI), R9
	CMPQ    R9, BX
	JA      notfound
	VPCMPEQB (SI)(DI*1), Y0, Y2
	VPCMPEQB (R8)(DI*1), Y1, Y3
	VPAND   Y2, Y3, Y3
	VPMOVMSKB Y3, AX
	MOVQ    DI, DX
tail1:
	TESTL   AX, AX
	JZ      notfound
	BSFL    AX, R9
	LEAQ    (DX)(R9*1), R10
	LEAQ    (R10)(CX*1), R11
	CMPQ    R11, R12
	JAE     accept
	MOVBLZX (SI)(R11*1), R9
	CMPL    R9, R13
	JEQ     accept
	LEAL    -1(AX), R9
	ANDL    R9, AX
	JMP     tail1

notfound:
	VZEROUPPER
	MOVQ    $-1, ret+48(FP)
	RET

accept:
	VZEROUPPER
	MOVQ    R10, ret+48(FP)
	RET

// func teddyAVX2(h []byte, masks *[8][32]byte) (block int, cands uint32)
//
// For each position p of a block of 32, looks up the low and high nibbles
// of h[p+j] (j = 0..3) in masks[2j] and masks[2j+1] and ANDs the eight
// results; returns the first block where a bit survives, with a bit set
// for each such position, or -1. Requires len(h) >= 35; scans the
// positions [0, (len(h)-3)&^31).
TEXT ·teddyAVX2(SB), NOSPLIT, $0-44
	MOVQ    h_base+0(FP), SI
	MOVQ    h_len+8(FP), BX
	MOVQ    masks+24(FP), AX
	VMOVDQU 0(AX), Y8
	VMOVDQU 32(AX), Y9
	VMOVDQU 64(AX), Y10
	VMOVDQU 96(AX), Y11
	VMOVDQU 128(AX), Y12
	VMOVDQU 160(AX), Y13
	VMOVDQU 192(AX), Y14
	VMOVDQU 224(AX), Y15
	MOVL    $0x0f0f0f0f, CX
	MOVD    CX, X7
	VPBROADCASTD X7, Y7
	SUBQ    $3, BX
	ANDQ    $~31, BX
	XORQ    DI, DI

tloop:
	LEAQ    32(DI), R9
	CMPQ    R9, BX
	JA      tnotfound
	VMOVDQU (SI)(DI*1), Y0
	VPSRLW  $4, Y0, Y1
	VPAND   Y7, Y0, Y0
	VPAND   Y7, Y1, Y1
	VPSHUFB Y0, Y8, Y0
	VPSHUFB Y1, Y9, Y1
	VPAND   Y0, Y1, Y6
	VMOVDQU 1(SI)(DI*1), Y0
	VPSRLW  $4, Y0, Y1
	VPAND   Y7, Y0, Y0
	VPAND   Y7, Y1, Y1
	VPSHUFB Y0, Y10, Y0
	VPSHUFB Y1, Y11, Y1
	VPAND   Y0, Y6, Y6
	VPAND   Y1, Y6, Y6
	VMOVDQU 2(SI)(DI*1), Y0
	VPSRLW  $4, Y0, Y1
	VPAND   Y7, Y0, Y0
	VPAND   Y7, Y1, Y1
	VPSHUFB Y0, Y12, Y0
	VPSHUFB Y1, Y13, Y1
	VPAND   Y0, Y6, Y6
	VPAND   Y1, Y6, Y6
	VMOVDQU 3(SI)(DI*1), Y0
	VPSRLW  $4, Y0, Y1
	VPAND   Y7, Y0, Y0
	VPAND   Y7, Y1, Y1
	VPSHUFB Y0, Y14, Y0
	VPSHUFB Y1, Y15, Y1
	VPAND   Y0, Y6, Y6
	VPAND   Y1, Y6, Y6
	VPTEST  Y6, Y6
	JNZ     tfound
	MOVQ    R9, DI
	JMP     tloop

tfound:
	VPXOR   Y5, Y5, Y5
	VPCMPEQB Y5, Y6, Y5
	VPMOVMSKB Y5, AX
	NOTL    AX
	VZEROUPPER
	MOVQ    DI, block+32(FP)
	MOVL    AX, cands+40(FP)
	RET

tnotfound:
	VZEROUPPER
	MOVQ    $-1, block+32(FP)
	MOVL    $0, cands+40(FP)
	RET
