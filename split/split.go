// Package split is rgunit's one definition of how items are divided among
// the jobs that train and measure the models:
//
//   - the held-back tenth (HeldBack): items no training sees, which the
//     benches and the evaluation classifier score;
//   - the labelled fraction (InFraction, Fraction): the part of the labelled
//     items a training uses, the rest counting as unlabelled, for the
//     label-fraction experiments of the paper's Table 3;
//   - halves (Half), for checks that compare two halves of a collection.
//
// Every split is a hash of the item's id, never the id itself or the order
// of ingestion: generated data sets repeat their domains with a period, and
// faces12k's period of 12 put only 6 of its 12 domains among the multiples
// of 10. A fraction is spelled one way: a number in (0, 1], where 1 is all
// of them; the zero value stored in older configurations also means all.
package split

import "fmt"

// All is the fraction that keeps every item.
const All = 1.0

// Mix is a fixed bijective hash of an id (splitmix64's finalizer).
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// HeldBack reports whether an item is held back from every training: one
// id in ten, chosen by a hash of the id.
func HeldBack(id uint64) bool { return Mix(id)%10 == 0 }

// Fraction is f as the one spelling: 1 (All) for all, including the zero
// value of a configuration that predates the fraction, and for anything
// outside (0, 1].
func Fraction(f float64) float64 {
	if f <= 0 || f > 1 {
		return All
	}
	return f
}

// CheckFraction returns an error unless f is in (0, 1].
func CheckFraction(f float64) error {
	if !(f > 0 && f <= 1) {
		return fmt.Errorf("split: labelled fraction %v: want a number in (0, 1] (1: all the labelled items)", f)
	}
	return nil
}

// InFraction reports whether id is among the fraction f of ids chosen by a
// hash independent of HeldBack's.
func InFraction(id uint64, f float64) bool {
	f = Fraction(f)
	if f == All {
		return true
	}
	return float64(Mix(id^0x6672616374696f6e)>>11)/(1<<53) < f
}

// Half reports whether id is in the first of two halves chosen by a hash
// independent of HeldBack's and InFraction's.
func Half(id uint64) bool { return Mix(id^0x6c6162656c)&1 == 0 }
