"""Makes the documents the import tests read, with the writers offices use: a PDF with a
Vietnamese TrueType font (fpdf2), a DOCX (python-docx), a scanned PDF with no text layer,
and a PDF protected by a password (pypdf).

    python3 make_document.py pdf|pdf-wrapped|docx|plan|scan|encrypted SOURCE.txt OUT

`plan` ignores SOURCE: it writes a plan with Word's numbered lists and a table of tasks.
"""

import sys

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip() for line in f if line.strip()]


def pdf(source, out):
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.add_font("DejaVu", "", FONT)
    document.set_font("DejaVu", size=11)
    document.add_page()
    for line in lines(source):
        document.cell(0, 6, line.strip(), new_x="LMARGIN", new_y="NEXT")
    document.output(out)


def paragraphs(path):
    """The source's lines joined back into paragraphs: a new one at a numbered or bulleted
    line, or after a line that introduces a list."""
    import re

    joined, current = [], ""
    for line in lines(path):
        line = line.strip()
        if re.match(r"^(\d+\.|[a-zđ]\)|-|\+)\s", line) or current.endswith(":"):
            if current:
                joined.append(current)
            current = line
        else:
            current = f"{current} {line}".strip()
    if current:
        joined.append(current)
    return joined


def pdf_wrapped(source, out):
    """A PDF whose paragraphs the writer wraps and justifies at its own width, as a word
    processor prints them."""
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.add_font("DejaVu", "", FONT)
    document.set_font("DejaVu", size=12)
    document.add_page()
    for paragraph in paragraphs(source):
        document.multi_cell(0, 6, paragraph, align="J")
        document.ln(1)
    document.output(out)


def docx(source, out):
    import docx as python_docx

    document = python_docx.Document()
    for line in lines(source):
        document.add_paragraph(line.strip())
    document.save(out)


def plan(_source, out):
    """A plan as Word writes it: numbered lists drawn by Word, and a table of tasks."""
    import docx as python_docx

    document = python_docx.Document()
    for line in [
        "ỦY BAN NHÂN DÂN",
        "TỈNH NAM ĐỊNH",
        "Số: 15/KH-UBND",
        "Nam Định, ngày 10 tháng 01 năm 2022",
        "KẾ HOẠCH",
        "Triển khai chuyển đổi số năm 2022",
        "I. NHIỆM VỤ CỤ THỂ",
    ]:
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=5)
    for cell, text in zip(
        table.rows[0].cells,
        ["TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"],
    ):
        cell.text = text
    for row in [
        ["1", "Xây dựng cơ sở dữ liệu cán bộ, công chức", "Sở Nội vụ", "Sở Thông tin và Truyền thông", "Quý II/2022"],
        ["2", "Số hóa hồ sơ tuyển sinh đầu cấp", "Sở Giáo dục và Đào tạo", "UBND thành phố Nam Định", "Tháng 8/2022"],
    ]:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    document.add_paragraph("II. TỔ CHỨC THỰC HIỆN")
    document.add_paragraph(
        "Sở Nội vụ tổng hợp, báo cáo UBND tỉnh trước ngày 20/12/2022.", style="List Number"
    )
    document.add_paragraph(
        "Thanh tra tỉnh kiểm tra việc thực hiện Kế hoạch.", style="List Number"
    )
    document.save(out)


def scan(_source, out):
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 760, 24):
        draw.line((40, y, 560, y), fill=0, width=3)
    document = FPDF(format="A4")
    document.add_page()
    document.image(image, x=10, y=10, w=190)
    document.output(out)


def encrypted(source, out):
    import io

    from pypdf import PdfReader, PdfWriter

    plain = io.BytesIO()
    pdf(source, plain)
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(plain.getvalue())).pages:
        writer.add_page(page)
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    with open(out, "wb") as f:
        writer.write(f)


if __name__ == "__main__":
    kind, source, out = sys.argv[1:4]
    {"pdf": pdf, "pdf-wrapped": pdf_wrapped, "docx": docx, "plan": plan, "scan": scan, "encrypted": encrypted}[kind](source, out)
