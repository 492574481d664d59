//go:build amd64 && !purego

#include "textflag.h"

// Rows of 32 equal bytes, one per constant the classification compares
// with; row r is at 32*r.
// 0: digit bias (128-'0')
DATA classRows<>+0(SB)/8, $0x5050505050505050
DATA classRows<>+8(SB)/8, $0x5050505050505050
DATA classRows<>+16(SB)/8, $0x5050505050505050
DATA classRows<>+24(SB)/8, $0x5050505050505050
// 1: digit bound (9-127)
DATA classRows<>+32(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA classRows<>+40(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA classRows<>+48(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA classRows<>+56(SB)/8, $0x8a8a8a8a8a8a8a8a
// 2: 0x20: blank, and the case bit
DATA classRows<>+64(SB)/8, $0x2020202020202020
DATA classRows<>+72(SB)/8, $0x2020202020202020
DATA classRows<>+80(SB)/8, $0x2020202020202020
DATA classRows<>+88(SB)/8, $0x2020202020202020
// 3: letter bias (128-'a')
DATA classRows<>+96(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA classRows<>+104(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA classRows<>+112(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA classRows<>+120(SB)/8, $0x1f1f1f1f1f1f1f1f
// 4: letter bound (25-127)
DATA classRows<>+128(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA classRows<>+136(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA classRows<>+144(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA classRows<>+152(SB)/8, $0x9a9a9a9a9a9a9a9a
// 5: '_'
DATA classRows<>+160(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA classRows<>+168(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA classRows<>+176(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA classRows<>+184(SB)/8, $0x5f5f5f5f5f5f5f5f
// 6: '+'
DATA classRows<>+192(SB)/8, $0x2b2b2b2b2b2b2b2b
DATA classRows<>+200(SB)/8, $0x2b2b2b2b2b2b2b2b
DATA classRows<>+208(SB)/8, $0x2b2b2b2b2b2b2b2b
DATA classRows<>+216(SB)/8, $0x2b2b2b2b2b2b2b2b
// 7: '/'
DATA classRows<>+224(SB)/8, $0x2f2f2f2f2f2f2f2f
DATA classRows<>+232(SB)/8, $0x2f2f2f2f2f2f2f2f
DATA classRows<>+240(SB)/8, $0x2f2f2f2f2f2f2f2f
DATA classRows<>+248(SB)/8, $0x2f2f2f2f2f2f2f2f
// 8: '0'
DATA classRows<>+256(SB)/8, $0x3030303030303030
DATA classRows<>+264(SB)/8, $0x3030303030303030
DATA classRows<>+272(SB)/8, $0x3030303030303030
DATA classRows<>+280(SB)/8, $0x3030303030303030
// 9: '-'
DATA classRows<>+288(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA classRows<>+296(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA classRows<>+304(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA classRows<>+312(SB)/8, $0x2d2d2d2d2d2d2d2d
// 10: '.'
DATA classRows<>+320(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA classRows<>+328(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA classRows<>+336(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA classRows<>+344(SB)/8, $0x2e2e2e2e2e2e2e2e
// 11: ':'
DATA classRows<>+352(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA classRows<>+360(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA classRows<>+368(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA classRows<>+376(SB)/8, $0x3a3a3a3a3a3a3a3a
// 12: '='
DATA classRows<>+384(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA classRows<>+392(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA classRows<>+400(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA classRows<>+408(SB)/8, $0x3d3d3d3d3d3d3d3d
// 13: '('
DATA classRows<>+416(SB)/8, $0x2828282828282828
DATA classRows<>+424(SB)/8, $0x2828282828282828
DATA classRows<>+432(SB)/8, $0x2828282828282828
DATA classRows<>+440(SB)/8, $0x2828282828282828
// 14: '@'
DATA classRows<>+448(SB)/8, $0x4040404040404040
DATA classRows<>+456(SB)/8, $0x4040404040404040
DATA classRows<>+464(SB)/8, $0x4040404040404040
DATA classRows<>+472(SB)/8, $0x4040404040404040
// 15: 'A'
DATA classRows<>+480(SB)/8, $0x4141414141414141
DATA classRows<>+488(SB)/8, $0x4141414141414141
DATA classRows<>+496(SB)/8, $0x4141414141414141
DATA classRows<>+504(SB)/8, $0x4141414141414141
// 16: 'a'
DATA classRows<>+512(SB)/8, $0x6161616161616161
DATA classRows<>+520(SB)/8, $0x6161616161616161
DATA classRows<>+528(SB)/8, $0x6161616161616161
DATA classRows<>+536(SB)/8, $0x6161616161616161
// 17: 'b'
DATA classRows<>+544(SB)/8, $0x6262626262626262
DATA classRows<>+552(SB)/8, $0x6262626262626262
DATA classRows<>+560(SB)/8, $0x6262626262626262
DATA classRows<>+568(SB)/8, $0x6262626262626262
GLOBL classRows<>(SB), RODATA|NOPTR, $576

// func classifyAVX2(p *byte, chunks int, m *masks, first int)
//
// For each of chunks blocks of 32 bytes at p, writes one bit per byte of
// each class into the 32-bit halves of m's rows: block i goes to half
// first+i of each row (a row is maskWords+1 uint64, 136 bytes).
//
// Registers: SI the block, CX blocks left, DI half first+i of row 0, R8
// the constants, Y0 the bytes, Y1 the bytes with the case bit set, Y13
// and Y12 the digit and letter bounds, Y15 zero.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-32
	MOVQ    p+0(FP), SI
	MOVQ    chunks+8(FP), CX
	MOVQ    m+16(FP), DI
	MOVQ    first+24(FP), AX
	LEAQ    (DI)(AX*4), DI
	LEAQ    classRows<>(SB), R8
	VPXOR   Y15, Y15, Y15
	VMOVDQU 32(R8), Y13
	VMOVDQU 128(R8), Y12

loop:
	TESTQ   CX, CX
	JZ      done
	VMOVDQU (SI), Y0
	VPOR    64(R8), Y0, Y1

	// digits: c+0x50 < 9-127 as signed bytes
	VPADDB    0(R8), Y0, Y2
	VPCMPGTB  Y2, Y13, Y2
	VPMOVMSKB Y2, AX
	MOVL      AX, 0(DI)

	// letters: (c|0x20)+0x1f < 25-127
	VPADDB    96(R8), Y1, Y3
	VPCMPGTB  Y3, Y12, Y3
	VPMOVMSKB Y3, AX
	MOVL      AX, 136(DI)

	// capitals: letters without the case bit
	VPAND     64(R8), Y0, Y4
	VPCMPEQB  Y15, Y4, Y4
	VPAND     Y3, Y4, Y4
	VPMOVMSKB Y4, AX
	MOVL      AX, 272(DI)

	// '_'
	VPCMPEQB  160(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 408(DI)

	// '+'
	VPCMPEQB  192(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 544(DI)

	// '/'
	VPCMPEQB  224(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 680(DI)

	// '0'
	VPCMPEQB  256(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 816(DI)

	// '-'
	VPCMPEQB  288(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 952(DI)

	// '.'
	VPCMPEQB  320(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1088(DI)

	// ' '
	VPCMPEQB  64(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1224(DI)

	// ':'
	VPCMPEQB  352(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1360(DI)

	// '='
	VPCMPEQB  384(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1496(DI)

	// '('
	VPCMPEQB  416(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1632(DI)

	// '@'
	VPCMPEQB  448(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 1768(DI)

	// 'A'
	VPCMPEQB  480(R8), Y0, Y5
	VPMOVMSKB Y5, AX
	MOVL      AX, 2040(DI)

	// 'a' or 'b' in either case
	VPCMPEQB  512(R8), Y1, Y6
	VPCMPEQB  544(R8), Y1, Y7
	VPOR      Y6, Y7, Y6
	VPMOVMSKB Y6, AX
	MOVL      AX, 1904(DI)

	ADDQ $32, SI
	ADDQ $4, DI
	DECQ CX
	JMP  loop

done:
	VZEROUPPER
	RET
