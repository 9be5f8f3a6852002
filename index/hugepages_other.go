//go:build !linux

package index

func adviseHuge([]uint32) {}
