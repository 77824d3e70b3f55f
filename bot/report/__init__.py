"""The IG team's oversight report: numbers from the database (compute), grouped declined
questions (cluster), and CSV plus one HTML page with charts (write). No botbuilder here.
"""
