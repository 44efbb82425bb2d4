package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Model is the learned part: int8-quantized hashed n-gram weights shared by
// both modes, dense weights per mode, Platt calibration per mode and the
// thresholds per mode and level.
type Model struct {
	Bits       uint32 // log2 of the number of hashed buckets
	Scale      float32
	W          []int8
	Dense      [2][NumDense]float32
	Platt      [2][2]float32 // a, b: p = sigmoid(a*z + b)
	Thresholds [2][NumLevels]float32
}

const modelMagic = "AIGISINJ"
const modelVersion = 1

func (m *Model) ngram(feats []uint32) float64 {
	if len(feats) == 0 {
		return 0
	}
	mask := uint32(len(m.W) - 1)
	var sum int32
	for _, f := range feats {
		sum += int32(m.W[f&mask])
	}
	return float64(sum) * float64(m.Scale) / math.Sqrt(float64(len(feats)))
}

// MarshalBinary encodes the model (little endian).
func (m *Model) MarshalBinary() ([]byte, error) {
	if len(m.W) != 1<<m.Bits {
		return nil, fmt.Errorf("model has %d weights, want %d", len(m.W), 1<<m.Bits)
	}
	b := make([]byte, 0, len(m.W)+512)
	b = append(b, modelMagic...)
	b = binary.LittleEndian.AppendUint32(b, modelVersion)
	b = binary.LittleEndian.AppendUint32(b, NumDense)
	b = binary.LittleEndian.AppendUint32(b, m.Bits)
	f := func(v float32) { b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v)) }
	f(m.Scale)
	for mode := range 2 {
		for _, v := range m.Dense[mode] {
			f(v)
		}
		f(m.Platt[mode][0])
		f(m.Platt[mode][1])
		for _, v := range m.Thresholds[mode] {
			f(v)
		}
	}
	for _, w := range m.W {
		b = append(b, byte(w))
	}
	return b, nil
}

// UnmarshalModel decodes a model written by MarshalBinary.
func UnmarshalModel(b []byte) (*Model, error) {
	const head = len(modelMagic) + 16
	if len(b) < head || string(b[:len(modelMagic)]) != modelMagic {
		return nil, errors.New("injection model: not a model file (bad magic); rebuild it with the training command")
	}
	p := b[len(modelMagic):]
	u := func() uint32 { v := binary.LittleEndian.Uint32(p); p = p[4:]; return v }
	if v := u(); v != modelVersion {
		return nil, fmt.Errorf("injection model: version %d, want %d; rebuild it with the training command", v, modelVersion)
	}
	if d := u(); d != NumDense {
		return nil, fmt.Errorf("injection model: %d dense features, want %d; rebuild it with the training command", d, NumDense)
	}
	m := &Model{Bits: u()}
	if m.Bits < 8 || m.Bits > 24 {
		return nil, fmt.Errorf("injection model: bad bucket bits %d", m.Bits)
	}
	need := 4 + 2*4*(NumDense+2+NumLevels) + (1 << m.Bits)
	if len(p) != need {
		return nil, fmt.Errorf("injection model: %d bytes of body, want %d (truncated or corrupt)", len(p), need)
	}
	f := func() float32 { return math.Float32frombits(u()) }
	m.Scale = f()
	for mode := range 2 {
		for i := range m.Dense[mode] {
			m.Dense[mode][i] = f()
		}
		m.Platt[mode][0] = f()
		m.Platt[mode][1] = f()
		for i := range m.Thresholds[mode] {
			m.Thresholds[mode][i] = f()
		}
	}
	m.W = make([]int8, 1<<m.Bits)
	for i := range m.W {
		m.W[i] = int8(p[i])
	}
	return m, nil
}
