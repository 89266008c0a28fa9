package redact

// findCards appends the payment card numbers in s to fs: 13 to 19 digits, written together or in the
// groups cards are printed in (4-4-4-4, 4-6-5 for American Express, 4-6-4 for Diners), with spaces or
// dashes, that pass the Luhn check and start the way cards of their length start. A random 16-digit
// number still passes about one time in twenty-five; order and ticket numbers are rarely that long.
func findCards(s string, fs []Finding) []Finding {
	var groups [][2]int
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		if i > 0 && isWord(s[i-1]) { // part of a word: a serial number, a hash
			for i < len(s) && isWord(s[i]) {
				i++
			}
			continue
		}
		// The run of digit groups separated by single spaces or dashes; a card is a part of it with one
		// kind of separator.
		groups = groups[:0]
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, [2]int{j, k})
			if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
				j = k + 1
				continue
			}
			j = k
			break
		}
		n := len(groups)
		if j < len(s) && isWord(s[j]) { // the last group runs into a word
			n--
		}
		for a := 0; a < n; a++ {
			best := -1
			digits := 0
			for b := a; b < n; b++ {
				if b > a && groups[a][1]-groups[a][0] != 4 {
					break // printed cards start with a group of four
				}
				if b > a+1 && s[groups[b][0]-1] != s[groups[a+1][0]-1] {
					break // another separator
				}
				digits += groups[b][1] - groups[b][0]
				if digits > 19 {
					break
				}
				if digits >= 13 && cardGroups(groups[a:b+1]) && cardNumber(s, groups[a:b+1]) {
					best = b
				}
			}
			if best >= 0 {
				fs = append(fs, Finding{Kind: CardNumber, Start: groups[a][0], End: groups[best][1]})
				a = best
			}
		}
		i = j
		for i < len(s) && isWord(s[i]) {
			i++
		}
	}
	return fs
}

// cardGroups reports whether the digit groups are laid out as card numbers are printed.
func cardGroups(g [][2]int) bool {
	if len(g) == 1 {
		return true
	}
	l := func(i int) int { return g[i][1] - g[i][0] }
	if len(g) == 3 && l(0) == 4 && l(1) == 6 && (l(2) == 5 || l(2) == 4) {
		return true
	}
	for i := range len(g) - 1 {
		if l(i) != 4 {
			return false
		}
	}
	return l(len(g)-1) <= 4
}

// cardNumber reports whether the digits in the groups pass the Luhn check and have an issuer prefix
// that goes with their length.
func cardNumber(s string, g [][2]int) bool {
	var buf [19]byte
	d := buf[:0]
	for _, r := range g {
		d = append(d, s[r[0]:r[1]]...)
	}
	return luhn(d) && issuer(d)
}

// luhn reports whether the digits d pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// issuer reports whether d starts like a card of its length: Visa 4, American Express 34/37, Diners
// 30/36/38/39, JCB 35, Mastercard 51-55 and 2221-2720, Maestro 50/56-58/6, Discover and UnionPay 6.
func issuer(d []byte) bool {
	n := len(d)
	switch d[0] {
	case '4':
		return n == 13 || n == 16 || n == 19
	case '3':
		switch d[1] {
		case '4', '7':
			return n == 15
		case '0', '6', '8', '9':
			return n >= 14
		case '5':
			return n >= 16
		}
	case '5':
		switch d[1] {
		case '1', '2', '3', '4', '5':
			return n == 16
		case '0', '6', '7', '8':
			return true
		}
	case '2':
		p := int(d[0]-'0')*1000 + int(d[1]-'0')*100 + int(d[2]-'0')*10 + int(d[3]-'0')
		return n == 16 && p >= 2221 && p <= 2720
	case '6':
		return n >= 16
	}
	return false
}
