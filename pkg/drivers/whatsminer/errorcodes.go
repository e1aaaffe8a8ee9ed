package whatsminer

import (
	"fmt"
	"strconv"
	"strings"
)

// unknownError is the message of a code that is not in the tables below; the
// code itself is kept so an operator can look it up.
const unknownError = "unknown error"

// Messages of codes that name no hashboard, worded after MicroBT's published
// error list.
var errorMessages = map[int64]string{
	// Fans.
	110: "Intake fan speed cannot be detected",
	111: "Exhaust fan speed cannot be detected",
	120: "Intake fan speed deviates from target by more than 2000 RPM",
	121: "Exhaust fan speed deviates from target by more than 2000 RPM",
	130: "Intake fan speed deviates from target by more than 3000 RPM",
	131: "Exhaust fan speed deviates from target by more than 3000 RPM",
	140: "Fan speed too high",
	// Power supply.
	200: "No power supply detected",
	201: "Power supply does not match the configuration",
	202: "Power supply output voltage error",
	203: "Power supply protection (temperature)",
	204: "Power supply current protection",
	205: "Power supply current error",
	206: "Power supply input voltage too low",
	207: "Power supply input current protection",
	208: "Power supply output power error",
	209: "Power supply output current error",
	210: "Power supply reports an error status",
	213: "Power supply input voltage and current do not match the output power",
	216: "Power supply output unchanged for a long time",
	217: "Power supply enable failed",
	218: "Input voltage below 230 V in high power mode",
	233: "Power supply output over-temperature protection",
	234: "Power supply output over-temperature protection",
	235: "Power supply output over-temperature protection",
	236: "Power supply output over-current protection",
	237: "Power supply output over-current protection",
	238: "Power supply output over-current protection",
	239: "Power supply output over-voltage protection",
	240: "Power supply output under-voltage protection",
	241: "Power supply output current imbalance",
	243: "Power supply input over-temperature protection",
	244: "Power supply input over-temperature protection",
	245: "Power supply input over-temperature protection",
	246: "Power supply input over-current protection",
	247: "Power supply input over-current protection",
	248: "Power supply input over-voltage protection",
	249: "Power supply input over-voltage protection",
	250: "Power supply input under-voltage protection",
	251: "Power supply input under-voltage protection",
	253: "Power supply fan error",
	254: "Power supply fan error",
	255: "Power supply output over-power protection",
	256: "Power supply output over-power protection",
	257: "Power supply primary side input over-current protection",
	263: "Power supply communication warning",
	264: "Power supply communication error",
	267: "Power supply watchdog protection",
	268: "Power supply output over-current protection",
	269: "Power supply input over-current protection",
	270: "Power supply input over-voltage protection",
	271: "Power supply input under-voltage protection",
	272: "Power supply output power too high (warning)",
	273: "Power supply input power too high (warning)",
	274: "Power supply fan warning",
	275: "Power supply over-temperature warning",
	// Temperature.
	329: "Control board temperature sensor communication error",
	360: "Hashboard overheating",
	// Environment.
	600: "Environment temperature too high",
	610: "Environment temperature too high for high performance mode; back to normal mode",
	// Control board.
	700: "Control board error",
	701: "Control board does not support this chip",
	710: "Control board rebooted after an exception",
	712: "Control board rebooted after an exception",
	// Software integrity.
	800: "cgminer checksum error",
	801: "system-monitor checksum error",
	802: "remote-daemon checksum error",
	// Pools.
	2000: "No pool configured",
	2010: "All pools are disabled",
	2030: "Pool rejection rate too high",
	2040: "Pool does not support ASICBoost",
	// Hashrate.
	2310: "Hashrate too low",
	2320: "Hashrate too low",
	2340: "Hashrate loss too high",
	2350: "Hashrate loss too high",
	// Firmware.
	8410: "Firmware does not match the miner generation",
	// Security library (6-digit codes starting with 1).
	100001: "Firmware signature check failed (/antiv/signature)",
	100002: "Firmware signature check failed (/antiv/dig/initd.dig)",
	100003: "Firmware signature check failed (/antiv/dig/pf_partial.dig)",
}

// slotFamilies are codes whose last digit is the hashboard slot (SM0 = x0,
// SM1 = x1, ...). Four slots cover every air and hydro model.
var slotFamilies = map[int64]string{
	300:  "temperature sensor not detected",
	320:  "temperature reading error",
	350:  "temperature protection",
	410:  "EEPROM not detected",
	420:  "EEPROM parse error",
	430:  "chip bin type error",
	440:  "EEPROM chip count error",
	450:  "EEPROM transfer error",
	510:  "wrong miner type for this hashboard",
	520:  "bin type error",
	530:  "not found",
	540:  "chip ID read error",
	550:  "has bad chips",
	560:  "loss of balance",
	5070: "water flow abnormal",
	5110: "frequency up timeout",
}

// chipFamilies are per-chip codes: the two leading digits are the type, then
// the slot, then the chip (one digit in 4-digit codes, three digits in
// 6-digit codes).
var chipFamilies = map[int64]string{
	52: "nonce error",
	53: "too few nonces",
	54: "temperature protection",
	55: "has been reset",
	56: "returns no nonce",
}

// ErrorMessage describes a Whatsminer error code. An unknown code gives
// "unknown error".
func ErrorMessage(code int64) string {
	if m, ok := errorMessages[code]; ok {
		return m
	}
	if code >= 2020 && code <= 2029 {
		return fmt.Sprintf("Pool %d connection failed", code-2020)
	}
	if slot := code % 10; slot <= 3 {
		if m, ok := slotFamilies[code-slot]; ok {
			return fmt.Sprintf("Slot %d %s", slot, m)
		}
	}
	s := strconv.FormatInt(code, 10)
	var typ, slot, chip int64
	switch {
	case len(s) == 4:
		typ, slot, chip = code/100, code/10%10, code%10
	case len(s) == 6 && s[0] != '1':
		typ, slot, chip = code/10000, code/1000%10, code%1000
	default:
		return unknownError
	}
	if m, ok := chipFamilies[typ]; ok {
		return fmt.Sprintf("Slot %d chip %d %s", slot, chip, m)
	}
	return unknownError
}

// minerError turns a code as the firmware sent it (number or string) into a
// MinerError; a code that is not a number keeps its text.
func minerError(raw string) (code string, msg string) {
	raw = strings.TrimSpace(raw)
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return raw, unknownError
	}
	return strconv.FormatInt(n, 10), ErrorMessage(n)
}
