package pickle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

func isJoblibWrapper(name string) bool {
	return strings.HasSuffix(name, "numpy_pickle.NumpyArrayWrapper") &&
		(strings.HasPrefix(name, "joblib.") || strings.HasPrefix(name, "sklearn.externals.joblib."))
}

// dictGet returns the value of a str key in a tracked dict.
func dictGet(d *obj, key string) *obj {
	if d == nil || d.k != kDict {
		return nil
	}
	for i := 0; i+1 < len(d.items); i += 2 {
		if d.items[i].k == kStr && d.items[i].s == key {
			return d.items[i+1]
		}
	}
	return nil
}

// skipJoblibArray steps over the array bytes joblib writes right after a
// NumpyArrayWrapper is built: raw data (after optional alignment padding),
// or for object arrays a nested pickle, which is walked with its own memo.
func (w *walker) skipJoblibArray(wrapper *obj, off int) error {
	st := wrapper.state
	shape := dictGet(st, "shape")
	dt := dictGet(st, "dtype")
	if shape == nil || dt == nil || shape.k != kTuple {
		w.semantic(off, "joblib NumpyArrayWrapper without a readable shape/dtype: the array bytes that follow cannot be located")
		return nil
	}
	count := uint64(1)
	for _, d := range shape.items {
		if d.k != kInt || d.i < 0 {
			return errors.New("joblib array shape is not a tuple of non-negative ints")
		}
		if d.i > 0 && count > (1<<62)/uint64(d.i) {
			return errors.New("joblib array shape overflows")
		}
		count *= uint64(d.i)
	}
	itemsize, object, ok := dtypeSize(dt)
	if !ok {
		w.semantic(off, "joblib array dtype not understood: the array bytes that follow cannot be located")
		return nil
	}
	if object {
		if count == 0 {
			return nil
		}
		if w.nested >= w.lim.MaxNested {
			return fmt.Errorf("more than %d nested pickles", w.lim.MaxNested)
		}
		sub := &walker{ctx: w.ctx, data: w.data, base: w.base, pos: w.pos, pol: w.pol, lim: w.lim, res: w.res,
			memo: map[uint32]*obj{}, seen: w.seen, trusted: true, nested: w.nested + 1, ops: w.ops}
		err := sub.one()
		if err == nil {
			err = sub.err
		}
		if err != nil {
			return fmt.Errorf("joblib object array pickle: %w", err)
		}
		w.pos, w.ops = sub.pos, sub.ops
		return nil
	}
	if dictGet(st, "numpy_array_alignment_bytes") != nil {
		b, err := w.need(1)
		if err != nil {
			return err
		}
		if _, err := w.need(int(b[0])); err != nil {
			return err
		}
	}
	n := count * uint64(itemsize)
	if n > uint64(len(w.data)-w.pos) {
		return fmt.Errorf("%w: joblib array of %d bytes", ErrTruncated, n)
	}
	w.pos += int(n)
	return nil
}

// dtypeSize reads the item size of a tracked numpy.dtype(...) call.
func dtypeSize(dt *obj) (size int, object bool, ok bool) {
	if dt.k != kCall || !strings.HasSuffix(dt.s, "dtype") || len(dt.items) == 0 || dt.items[0].k != kStr {
		return 0, false, false
	}
	s := strings.TrimLeft(dt.items[0].s, "<>|=")
	if s == "" {
		return 0, false, false
	}
	elsize := int64(-1)
	if dt.state != nil && dt.state.k == kTuple && len(dt.state.items) > 5 && dt.state.items[5].k == kInt {
		elsize = dt.state.items[5].i
	}
	letter, digits := s[0], s[1:]
	if i := strings.IndexByte(digits, '['); i >= 0 {
		digits = digits[:i]
	}
	n, err := strconv.Atoi(digits)
	if digits == "" {
		n, err = 0, nil
	}
	if err != nil || n < 0 || n > 1<<30 {
		return 0, false, false
	}
	switch letter {
	case 'O':
		return 8, true, true
	case 'b', 'i', 'u', 'f', 'c', 'M', 'm', 'S', 'a', 'V':
		if letter == 'V' && elsize > 0 {
			if fields := dt.state; fields != nil && len(fields.items) > 3 && fields.items[3].k != kNone {
				// structured dtype: fields may hold objects; be conservative
				return 0, false, false
			}
			n = int(elsize)
		}
		if n == 0 {
			if elsize > 0 {
				n = int(elsize)
			} else if letter == 'b' {
				n = 1
			} else {
				return 0, false, false
			}
		}
		return n, false, true
	case 'U':
		return 4 * n, false, n > 0
	case '?':
		return 1, false, true
	}
	return 0, false, false
}
