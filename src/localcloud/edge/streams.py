"""Copying bytes between two connections, for the programs that run in containers from the edge image (the edge's
`relay.py`, a Cloud Map name's `cloud_map_relay.py`): the standard library only, shipped next to each program."""
import asyncio

BUFFER = 64 * 1024


async def splice(reader_a, writer_a, reader_b, writer_b) -> None:
    """Copy both ways until both directions have ended, then close both connections."""
    try:
        await asyncio.gather(pipe(reader_a, writer_b), pipe(reader_b, writer_a))
    finally:
        writer_a.close()
        writer_b.close()


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until the reader ends, then half-close the writer (an HTTP client may half-close after its request)."""
    try:
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):  # one side was reset: closing the other ends the copy the other way too
        writer.close()
