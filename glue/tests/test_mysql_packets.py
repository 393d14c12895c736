"""floe's MySQL reader (_mysql_rows.c) on packets made here: the text protocol's rows, cut anywhere.

The server's side of these cases (a result read to its end, an error part way, a read stopped) runs
against MariaDB in test_mysql_fetch.py; here the packets' edges are chosen: a packet cut at every
byte, lengths of each encoding, a value of several packets, each way a result ends.
See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html
"""

from __future__ import annotations

import pytest

from floe_extract.sources import mysql as mysql_source

# Built by scripts/setup; test_mysql_fetch.py's first test says so when it is not.
rows_module = mysql_source._mysql_rows

MORE, END = 0, 2
MAX_PACKET = 0xFFFFFF
EOF_PACKET = b"\xfe\x00\x00\x02\x00"  # warnings 0, status: autocommit
OK_AS_EOF = b"\xfe\x00\x00\x02\x00\x00\x00"  # CLIENT_DEPRECATE_EOF's terminator


def value(data: bytes | None) -> bytes:
    """A length-encoded string, or NULL (0xfb)."""
    if data is None:
        return b"\xfb"
    n = len(data)
    if n < 251:
        return bytes([n]) + data
    if n < 1 << 16:
        return b"\xfc" + n.to_bytes(2, "little") + data
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little") + data
    return b"\xfe" + n.to_bytes(8, "little") + data


def packets(payload: bytes, sequence: int = 0) -> bytes:
    """The payload as packets: pieces of 0xffffff bytes, then a shorter last one (maybe empty)."""
    out = b""
    while True:
        piece, payload = payload[:MAX_PACKET], payload[MAX_PACKET:]
        out += len(piece).to_bytes(3, "little") + bytes([sequence % 256]) + piece
        sequence += 1
        if len(piece) < MAX_PACKET:
            return out


def result(rows: list[list[bytes | None]], end: bytes = EOF_PACKET) -> bytes:
    return b"".join(packets(b"".join(value(v) for v in row), i) for i, row in enumerate(rows)) + packets(end)


def read_all(stream: bytes, columns: int, cut: int | None = None, max_rows: int = 1000) -> list[list[bytes | None]]:
    """Feeds `stream` `cut` bytes at a time (all at once if None), as the reader's socket loop does."""
    parser = rows_module.Rows(columns)
    buffer, start, fed, landed = bytearray(), 0, 0, []
    while True:
        status, start, needed = parser.feed(bytes(buffer), start, len(buffer), max_rows, 1 << 30)
        if status != MORE:
            count, arrays = parser.take()
            for r in range(count):
                landed.append([_value_at(arrays[c], r) for c in range(columns)])
            if status == END:
                assert start == len(buffer) == len(stream)
                return landed
            continue
        assert fed < len(stream), "the parser asked for more than the stream holds"
        assert needed == 0 or needed > len(buffer) - start
        step = len(stream) if cut is None else cut
        buffer += stream[fed : fed + step]
        fed += step


def _value_at(entry: tuple[int, bytes | None, bytes, bytes], row: int) -> bytes | None:
    nulls, validity, offsets, data = entry
    if validity is not None and not validity[row >> 3] & (1 << (row & 7)):
        return None
    first, last = (int.from_bytes(offsets[4 * i : 4 * i + 4], "little") for i in (row, row + 1))
    return data[first:last]


ROWS = [
    [b"1", b"", None],
    [b"22", b"x" * 250, b"tab\tnew\nline"],
    [None, b"y" * 251, b"\xc3\xbc\xf0\x9f\x98\x80"],
    [b"4", b"z" * 70_000, b""],
]


@pytest.mark.parametrize("end", [EOF_PACKET, OK_AS_EOF], ids=["eof", "ok-as-eof"])
def test_rows_land_whole_however_the_stream_is_cut(end: bytes) -> None:
    # Prepare: NULL against '', one- two- and three-byte lengths, multi-byte text
    stream = result(ROWS, end)

    # Act, Assess: whole, then cut at every size from 1 byte
    assert read_all(stream, 3) == ROWS
    for cut in (1, 2, 3, 4, 5, 7, 250, 251, 4096):
        assert read_all(stream, 3, cut) == ROWS, cut


def test_a_batch_ends_at_max_rows_and_the_next_starts_where_it_ended() -> None:
    stream = result([[str(i).encode()] for i in range(10)])

    assert read_all(stream, 1, cut=9, max_rows=3) == [[str(i).encode()] for i in range(10)]


def test_a_value_of_several_packets_lands_whole() -> None:
    # Prepare: a 17 MB value makes a row of two packets, the first of exactly 0xffffff bytes
    large = bytes(range(256)) * (17 * 4096)
    stream = result([[b"1", large], [b"2", b"small"]])
    assert len(stream) > MAX_PACKET + 8

    # Act
    landed = read_all(stream, 2, cut=1 << 20)

    # Assess
    assert landed == [[b"1", large], [b"2", b"small"]]


def test_a_row_of_exactly_one_full_packet_is_followed_by_an_empty_one() -> None:
    # Prepare: a payload of 0xffffff bytes must be followed by a packet of 0 bytes
    data = b"a" * (MAX_PACKET - 4)
    row = value(data)
    assert len(row) == MAX_PACKET
    stream = packets(row) + packets(EOF_PACKET, 2)

    assert read_all(stream, 1, cut=1 << 22) == [[data]]


def test_an_error_packet_raises_the_servers_error() -> None:
    # Prepare: two rows, then ERR 1317 (the query was killed), sqlstate 70100
    stream = result([[b"1"], [b"2"]])[: -len(packets(EOF_PACKET))]
    stream += packets(b"\xff" + (1317).to_bytes(2, "little") + b"#70100Query execution was interrupted")

    with pytest.raises(rows_module.Error) as raised:
        read_all(stream, 1)

    assert raised.value.args == (1317, "Query execution was interrupted", "70100")


@pytest.mark.parametrize(
    ("payload", "columns"),
    [(value(b"1") + value(b"2"), 1), (value(b"1"), 2), (b"\xfc\x05", 1), (b"\x05ab", 1)],
    ids=["more-values", "fewer-values", "cut-length", "value-past-row"],
)
def test_a_row_that_breaks_the_protocol_is_refused(payload: bytes, columns: int) -> None:
    with pytest.raises(ValueError):
        read_all(packets(payload) + packets(EOF_PACKET), columns)
