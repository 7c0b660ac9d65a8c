"""YAML scalars as Kubernetes reads them: go-yaml v2's resolver, then sigs.k8s.io/yaml's JSON.

kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml (`YAMLToJSON`), which
decodes with go-yaml v2 (YAML 1.1 scalars) and then makes every key a JSON string. This module
reproduces that, scalar by scalar, from the sources (file and line in each comment):

- go-yaml v2 `resolve.go` (github.com/go-yaml/yaml, branch v2, 7649d45): `resolve()` L86-197,
  the resolve table L20-57, `yamlStyleFloat` L84, `parseTimestamp` L238-258.
- go-yaml v2 `decode.go`: a timestamp decoded into interface{} keeps its text (L471-478);
  `!!binary` is base64-decoded (L418-425).
- sigs.k8s.io/yaml `yaml.go` (v1.6.0): `convertToJSONableObject` turns int, float and bool keys
  into strings and refuses null keys; `json.Marshal` refuses NaN and infinity.

It knows nothing of files or Kubernetes objects; yamldocs.py calls it while constructing values.
Where Kubernetes would quietly carry a value that no manifest means (an integer beyond 64 bits,
a float beyond float64), `ScalarError` refuses it instead: the issue of record is that such
values crash or mislead the tools downstream, and a quoted string says the same thing safely.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from typing import Any

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
BINARY = "tag:yaml.org,2002:binary"
MERGE = "tag:yaml.org,2002:merge"

# resolve.go L104-109 `resolvableTag`: only these explicit tags are resolved; any other tag
# (a custom `!Ref`, `!!binary`, `!!merge`...) leaves the scalar's text as it is.
_RESOLVABLE = frozenset({"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP})

# resolve.go L20-31: the first character of a scalar hints at what it may be.
_HINT: dict[str, str] = {"+": "S", "-": "S", ".": "."}
_HINT.update(dict.fromkeys("0123456789", "D"))
_HINT.update(dict.fromkeys("yYnNtTfFoO~", "M"))

# resolve.go L32-49: every spelling looked up in the resolve map.
_MAP: dict[str, tuple[str, Any]] = {}
for _values, _tag, _value in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), BOOL, True),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), BOOL, False),
    (("", "~", "null", "Null", "NULL"), NULL, None),
    ((".nan", ".NaN", ".NAN"), FLOAT, math.nan),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), FLOAT, -math.inf),
    (("<<",), MERGE, "<<"),
):
    for _spelling in _values:
        _MAP[_spelling] = (_tag, _value)

# resolve.go L84.
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# strconv.ParseFloat on text that starts with '.' (resolve.go L132-137): Go's decimal syntax,
# where a single '_' may stand between two digits (strconv's underscoreOK).
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?")
_DIGITS_ONLY = re.compile(r"[-+]?[0-9]+")
_DIGITS = {
    2: re.compile(r"[01]*"),
    8: re.compile(r"[0-7]*"),
    10: re.compile(r"[0-9]*"),
    16: re.compile(r"[0-9a-fA-F]*"),
}
# More digits than these (leading zeros aside) cannot fit in 64 bits; checked before int() so
# that a 5,000-digit number never reaches Python's 4,300-digit conversion limit.
_MAX_DIGITS = {2: 64, 8: 22, 10: 20, 16: 16}
UINT64_MAX = 2**64 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# parseTimestamp (resolve.go L238-258) with the layouts of L226-233, as Go's time.Parse reads
# them: a 4-digit year, 1-2 digit fields, optional fraction and zone.
_TIMESTAMP = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:[Tt](?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2}))"
    r"|(?: (?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})(?:\.[0-9]+)?))?"
)
EXCERPT = 40


class ScalarError(ValueError):
    """A scalar that Kubernetes would refuse, or that dxguard refuses rather than misread."""


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """A bad value as an error message may quote it: at most `limit` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def _go_uint(s: str) -> int | None:
    """strconv.ParseUint(s, 0, 64): prefixes 0b/0o/0x (3+ characters), a leading 0 is octal."""
    if not s:
        return None
    base = 10
    if s[0] == "0":
        prefix = s[1:2].lower()
        if len(s) >= 3 and prefix in ("b", "o", "x"):
            base, s = {"b": 2, "o": 8, "x": 16}[prefix], s[2:]
        else:
            base, s = 8, s[1:]
    if not _DIGITS[base].fullmatch(s):
        return None
    significant = s.lstrip("0")
    if len(significant) > _MAX_DIGITS[base]:
        raise OverflowError
    value = int(significant, base) if significant else 0
    if value > UINT64_MAX:
        raise OverflowError
    return value


def _go_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64): an optional sign, then ParseUint's syntax."""
    sign = 1
    if s[:1] in ("+", "-"):
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    if not s:
        return None
    value = _go_uint(s)
    if value is None:
        return None
    value *= sign
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError
    return value


def _int_or_overflow(text: str, parse: Any) -> tuple[int | None, bool]:
    try:
        return parse(text), False
    except OverflowError:
        return None, True


def _is_timestamp(s: str) -> bool:
    """resolve.go parseTimestamp: YYYY-M-D, optionally with a time, as time.Parse accepts."""
    m = _TIMESTAMP.fullmatch(s)
    if m is None:
        return False
    month, day = int(m["m"]), int(m["d"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    hour, minute, second = m["H"] or m["h"], m["M"] or m["mi"], m["S"] or m["s"]
    return hour is None or (int(hour) < 24 and int(minute) < 60 and int(second) < 60)


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """resolve.go `resolve(tag, in)`: the tag a scalar resolves to and its Go value.

    `tag` is "" for a plain scalar, else the explicit tag. Integers that do not fit 64 bits and
    floats that overflow float64 raise ScalarError (Kubernetes would read them as strings).
    """
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, out = _resolve(tag, text)
    if tag in ("", rtag, STR):
        return rtag, out
    if tag == FLOAT and rtag == INT:  # resolve.go L95-107: an !!float may be written as an int
        return FLOAT, float(out)
    raise ScalarError(
        f"cannot decode !!{rtag.rsplit(':', 1)[1]} {excerpt(text)} as !!{tag.rsplit(':', 1)[1]}"
    )


def _resolve(tag: str, text: str) -> tuple[str, Any]:
    hint = _HINT.get(text[0]) if text else "N"
    if hint is None or tag == STR:
        return STR, text
    found = _MAP.get(text)
    if found is not None:
        return found
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            value = float(text.replace("_", ""))
            if math.isinf(value):
                raise ScalarError(_overflow_float(text))
            return FLOAT, value
    elif hint in ("D", "S"):
        if (tag == "" or tag == TIMESTAMP) and _is_timestamp(text):
            return TIMESTAMP, text  # decode.go L471-478: kept as its text in interface{}
        plain = text.replace("_", "")
        value, big = _int_or_overflow(plain, _go_int)
        if value is not None:
            return INT, value
        value, big_unsigned = _int_or_overflow(plain, _go_uint)
        if value is not None:
            return INT, value
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            number = float(plain)
            if _DIGITS_ONLY.fullmatch(plain) and not _fits_64_bits(plain):
                raise ScalarError(_overflow_int(text))  # go-yaml: a float; no manifest means it
            if math.isinf(number):
                raise ScalarError(_overflow_float(text))  # go-yaml: the text, as a string
            return FLOAT, number
        if big or big_unsigned:
            raise ScalarError(_overflow_int(text))  # e.g. 0x1_0000_0000_0000_0000: go-yaml: text
        # resolve.go L169-191 tries 0b.../-0b... once more: ParseInt(base 0) above already read
        # every such number that fits, and the rest overflowed.
    return STR, text


def _fits_64_bits(digits: str) -> bool:
    """A decimal integer (sign, digits) within [-2**63, 2**64 - 1], without converting a
    number so long that Python would refuse it."""
    if len(digits.lstrip("+-").lstrip("0")) > 20:
        return False
    return INT64_MIN <= int(digits) <= UINT64_MAX


def _overflow_int(text: str) -> str:
    return (
        f"the integer {excerpt(text)} does not fit in 64 bits; Kubernetes cannot carry it as a "
        "number (quote it if it is meant as text)"
    )


def _overflow_float(text: str) -> str:
    return (
        f"the number {excerpt(text)} overflows to infinity, which JSON cannot carry "
        "(quote it if it is meant as text)"
    )


def plain_value(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar in a Kubernetes manifest."""
    tag, value = resolve("", text)
    if tag == FLOAT and (math.isnan(value) or math.isinf(value)):
        raise ScalarError(
            f"{excerpt(text)} (NaN or infinity) cannot be represented in JSON; kubectl refuses it"
        )
    return value


def tagged_value(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit tag (`!!int "3"`, `!!binary ...`, `!Custom x`)."""
    if tag == BINARY:
        return decode_binary(text)
    rtag, value = resolve(tag, text)
    if rtag == FLOAT and (math.isnan(value) or math.isinf(value)):
        raise ScalarError(f"{excerpt(text)} (NaN or infinity) cannot be represented in JSON")
    if rtag == MERGE:
        return text
    return value


def decode_binary(text: str) -> str:
    """decode.go L418-425 then json.Marshal: base64 (Go ignores only \\r and \\n) → bytes, as a
    string with each invalid UTF-8 sequence replaced by U+FFFD."""
    cleaned = text.replace("\r", "").replace("\n", "")
    try:
        data = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ScalarError("!!binary value contains invalid base64 data") from None
    return data.decode("utf-8", errors="replace")


def key_string(key: Any) -> str:
    """sigs.k8s.io/yaml convertToJSONableObject: the JSON key of a resolved YAML key."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        if key > INT64_MAX:  # a uint64 key: `unsupported map key of type: uint64`
            raise ScalarError(f"the key {key} is out of the range Kubernetes accepts for keys")
        return str(key)
    if isinstance(key, float):
        return _format_float32(key)
    if key is None:
        raise ScalarError("a null key (`~`, `null` or empty) is not allowed; quote the key")
    raise ScalarError("a key must be a scalar, not a list or mapping")


def _format_float32(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), with go-yaml's .inf/.nan spellings."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    try:
        f32 = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return ".inf" if value > 0 else "-.inf"
    if math.isinf(f32):
        return ".inf" if value > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1, f32) < 0 else "0"
    # The shortest decimal that reads back as the same float32.
    for digits in range(1, 10):
        text = f"{f32:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, exp_text = text.split("e")
    exp = int(exp_text)
    sig = mantissa.replace(".", "").replace("-", "").rstrip("0") or "0"
    sign = "-" if f32 < 0 else ""
    if exp < -4 or exp >= 6:  # strconv's %g with the shortest digits: precision 6 decides
        # %e form: d[.ddd]e±XX (at least two exponent digits)
        body = sig[0] + ("." + sig[1:] if len(sig) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{sig}"
    if len(sig) <= exp + 1:
        return f"{sign}{sig}{'0' * (exp + 1 - len(sig))}"
    return f"{sign}{sig[: exp + 1]}.{sig[exp + 1 :]}"
