package models

import "strings"

// Canaan's model names as AvalonMiner firmware writes them: in VERSION
// MODEL/PROD, and in the Ver token of the estats blobs.

// AvalonVerModel takes the model from a blob Ver: "15-194-24102401_25462b2_9ddf522"
// -> "15-194", "1047-19120401_..." -> "1047", "nano3-2407..." -> "nano3",
// and on 7xx-9xx "7411706-3162860" -> "741" (model, then YYMM).
func AvalonVerModel(ver string) string {
	ver = strings.TrimSpace(ver)
	parts := strings.Split(ver, "-")
	if len(parts) > 1 && strings.Contains(parts[len(parts)-1], "_") {
		return strings.Join(parts[:len(parts)-1], "-")
	}
	if len(parts[0]) == 7 && allDigits(parts[0]) {
		return parts[0][:3]
	}
	return parts[0]
}

// AvalonModel cleans a model: vendor prefix off, Canaan's number kept, the
// hashrate variant dropped ("1246-83" -> "1246"), except for A15-series
// names whose first part is only the series ("15-194"). Nano and Mini are
// spelled as Canaan markets them ("Nano 3").
func AvalonModel(s string) string {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"AvalonMiner", "Avalon", "avalon"} {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			s = strings.TrimSpace(s[len(pre):])
			break
		}
	}
	if s == "" {
		return ""
	}
	low := strings.ToLower(s)
	for _, fam := range []string{"nano", "mini"} {
		if strings.HasPrefix(low, fam) {
			rest := strings.TrimSpace(s[len(fam):])
			name := strings.ToUpper(fam[:1]) + fam[1:]
			if rest == "" {
				return name
			}
			return name + " " + strings.ToLower(rest)
		}
	}
	if parts := strings.Split(s, "-"); len(parts) > 1 && allDigits(parts[0]) {
		if len(parts[0]) <= 2 {
			return parts[0] + "-" + parts[1]
		}
		return parts[0]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
