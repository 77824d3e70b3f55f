"""The pure core: loading, chunking, retrieval, routing and answering.

Nothing in this package imports botbuilder or aiohttp; adapters translate to and from it.
"""
