package goja

// Kiln patch 4 (FORK.md): BigInts have a maximum size, and long decimal
// strings parse in less than quadratic time.
//
// math/big computes in single native calls that no interrupt reaches:
// formatting a number of 16M bits takes 2.5 s, parsing 5M decimal digits
// 42 s, and an operator can make such a number from a short source
// (1n << 2n ** 24n). V8 refuses BigInts past 2^30 bits with a RangeError;
// Kiln refuses them past maxBigIntBits, a size every operation on which
// (toString: 93 ms; parsing by halves, below) stays well inside the time a
// timeout may overshoot.

import (
	"math"
	"math/big"
)

// maxBigIntBits is the largest BigInt a script can make: 2^21 bits, about
// 631,000 decimal digits.
const maxBigIntBits = 1 << 21

// errBigIntTooLarge is the RangeError past maxBigIntBits.
const errBigIntTooLarge = rangeError("Maximum BigInt size exceeded (2097152 bits)")

// bigIntResult is called before an operation makes a BigInt of at most
// bits bits: past maxBigIntBits it throws the RangeError, and the meter
// is charged for it.
func (r *Runtime) bigIntResult(bits float64) {
	if bits > maxBigIntBits {
		panic(errBigIntTooLarge)
	}
	if r.meter.limit != 0 { // Kiln meter
		r.meterBigInt(bits)
	}
}

// bigIntPowBits bounds the bits of x ** y (y >= 0): y log2|x| + 1.
func bigIntPowBits(x, y *big.Int) float64 {
	if x.CmpAbs(bigOne) <= 0 || y.Sign() == 0 {
		return 1
	}
	if y.BitLen() > 62 {
		return math.Inf(1)
	}
	return float64(y.Uint64())*log2Abs(x) + 1
}

// log2Abs is log2|x| for x != 0, from its top 64 bits.
func log2Abs(x *big.Int) float64 {
	n := x.BitLen()
	if n <= 64 {
		return math.Log2(float64(new(big.Int).Abs(x).Uint64()))
	}
	top := new(big.Int).Rsh(new(big.Int).Abs(x), uint(n-64)).Uint64()
	return math.Log2(float64(top)) + float64(n-64)
}

// bigIntShiftBits bounds the bits of x shifted left by |by|.
func bigIntShiftBits(x, by *big.Int) float64 {
	if x.Sign() == 0 {
		return 0
	}
	if by.BitLen() > 62 {
		return math.Inf(1)
	}
	return float64(x.BitLen()) + float64(new(big.Int).Abs(by).Uint64())
}

var bigOne = big.NewInt(1)

// parseBigDecimalMin is the length from which a decimal string is parsed
// by halves: below it math/big's quadratic parse is the faster.
const parseBigDecimalMin = 4096

// setBigIntString is z.SetString(s, 0) with a size limit, and long decimal
// strings parsed by halves (hi * 10^len(lo) + lo, the multiplications
// Karatsuba's): 631,000 digits take 0.6 s with SetString alone.
func setBigIntString(z *big.Int, s string) (*big.Int, bool) {
	if !allDecimal(s) {
		// A prefixed (hex, octal, binary) or signed string: math/big
		// parses those in linear time, and the result is checked after.
		z, ok := z.SetString(s, 0)
		if ok && z.BitLen() > maxBigIntBits {
			panic(errBigIntTooLarge)
		}
		return z, ok
	}
	if float64(len(s)-1)*math.Log2(10) > maxBigIntBits {
		panic(errBigIntTooLarge) // at least that many bits, whatever the digits
	}
	if len(s) < parseBigDecimalMin {
		z, ok := z.SetString(s, 10)
		if ok && z.BitLen() > maxBigIntBits {
			panic(errBigIntTooLarge)
		}
		return z, ok
	}
	z.Set(parseDecimalHalves(s, map[int]*big.Int{}))
	if z.BitLen() > maxBigIntBits {
		panic(errBigIntTooLarge)
	}
	return z, true
}

func allDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseDecimalHalves(s string, pows map[int]*big.Int) *big.Int {
	if len(s) < parseBigDecimalMin {
		z, _ := new(big.Int).SetString(s, 10)
		return z
	}
	n := len(s) / 2
	hi, lo := parseDecimalHalves(s[:len(s)-n], pows), parseDecimalHalves(s[len(s)-n:], pows)
	p, ok := pows[n]
	if !ok {
		p = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
		pows[n] = p
	}
	return hi.Mul(hi, p).Add(hi, lo)
}
