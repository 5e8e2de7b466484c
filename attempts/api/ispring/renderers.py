"""iSpring's XML: ``<response><results><result>…</result></results><nextPageToken>…``.

Built with lxml, which escapes every value; characters XML 1.0 cannot carry at all (control
characters other than tab, newline and carriage return; lone surrogates) are left out, so
the document is always well-formed. Errors are ``<response><detail>…</detail></response>``
or, for bad parameters, ``<response><errors><error parameter="userIds[]">…</error>…``.
"""

import re

from lxml import etree
from rest_framework.renderers import BaseRenderer

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value) -> str:
    return NOT_XML.sub("", str(value))


class IspringXMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        root = etree.Element("response")
        if isinstance(data, dict) and "results" in data:
            results = etree.SubElement(root, "results")
            for row in data["results"]:
                node = etree.SubElement(results, "result")
                for key, value in row.items():
                    etree.SubElement(node, key).text = text(value)
            if data.get("nextPageToken"):
                etree.SubElement(root, "nextPageToken").text = text(data["nextPageToken"])
        elif isinstance(data, dict):
            errors = None
            for key, messages in data.items():
                if key == "detail":
                    etree.SubElement(root, "detail").text = text(messages)
                    continue
                if errors is None:
                    errors = etree.SubElement(root, "errors")
                for message in messages if isinstance(messages, list) else [messages]:
                    node = etree.SubElement(errors, "error", parameter=text(key))
                    node.text = text(message)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
